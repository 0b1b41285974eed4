/// A GRIB bitmap (1 = value present) with prefix counts, so the position of a point's value
/// among the packed values — the number of set bits before it — takes O(1), not a scan.
///
/// Built once per field from the whole bitmap (numberOfDataPoints / 8 bytes, 52 KB for O320).
package struct BitmapIndex: Hashable, Sendable {
    private let words: [UInt64]
    /// Set bits before each 64-bit word.
    private let prefixCounts: [Int]
    /// The number of grid points the bitmap covers.
    package let pointCount: Int

    /// Reads `bytes` (most significant bit first, as GRIB writes them) for `pointCount` points;
    /// throws when the bitmap is shorter than that.
    package init(bytes: some Collection<UInt8>, pointCount: Int) throws(SimplePackingError) {
        guard bytes.count * 8 >= pointCount else {
            throw SimplePackingError("the bitmap has \(bytes.count) bytes, too few for \(pointCount) points")
        }
        self.pointCount = pointCount
        let wordCount = (pointCount + 63) / 64
        var words = [UInt64](repeating: 0, count: wordCount)
        var byteNumber = 0
        for byte in bytes {
            let word = byteNumber / 8
            guard word < wordCount else { break }
            words[word] |= UInt64(byte) << UInt64(56 - 8 * (byteNumber % 8))
            byteNumber += 1
        }
        // Bits beyond the last point are padding: clear them.
        let spare = wordCount * 64 - pointCount
        if spare > 0, wordCount > 0 { words[wordCount - 1] &= ~((1 << UInt64(spare)) - 1) }
        var prefixCounts = [Int](repeating: 0, count: wordCount + 1)
        for index in 0..<wordCount { prefixCounts[index + 1] = prefixCounts[index] + words[index].nonzeroBitCount }
        self.words = words
        self.prefixCounts = prefixCounts
    }

    /// The bytes to read for the bitmap of a field of `pointCount` points: all of it, from the
    /// start of the bitmap's payload (after section 6's 6-byte header in GRIB 2).
    package static func byteRange(pointCount: Int) -> ByteRange {
        ByteRange(offset: 0, length: (pointCount + 7) / 8)
    }

    /// The number of points with values (set bits).
    package var presentCount: Int { prefixCounts[prefixCounts.count - 1] }

    /// Whether point `index` has a value.
    package func isPresent(_ index: Int) -> Bool {
        guard index >= 0, index < pointCount else { return false }
        return words[index / 64] & (1 << UInt64(63 - index % 64)) != 0
    }

    /// The position of point `index`'s value among the packed values, or nil when it has none.
    package func packedPosition(ofPoint index: Int) -> Int? {
        guard isPresent(index) else { return nil }
        let word = index / 64
        let bit = index % 64
        let before = bit == 0 ? 0 : (words[word] >> UInt64(64 - bit)).nonzeroBitCount
        return prefixCounts[word] + before
    }
}
