/// Which bytes of a simple-packed data section hold the values of some grid points, and how to
/// decode them once read: the pure half of reading only what a feature needs.
///
/// Offsets are relative to the first packed value (the data section's payload: after
/// section 7's 5-byte header in GRIB 2, after the 11-byte header of GRIB 1's BDS). Nearby
/// ranges are merged so a request with many points costs few reads.
package struct PackedValueReadPlan: Hashable, Sendable {
    package let packing: SimplePacking
    /// For each requested point, in the order given, its position among the packed values,
    /// or nil when the bitmap marks it missing.
    package let packedPositions: [Int?]
    /// The byte ranges to read, ascending and disjoint; empty when nothing needs reading
    /// (a constant field, or every point missing).
    package let ranges: [ByteRange]

    /// Plans the reads for `pointIndices` (storage indices, any order, repeats allowed), with
    /// the field's bitmap if it has one; ranges closer than `mergeGap` bytes are merged.
    package init(packing: SimplePacking, pointIndices: [Int], bitmap: BitmapIndex? = nil, mergeGap: Int = 256) throws(SimplePackingError) {
        try packing.validate()
        let pointCount = bitmap?.pointCount ?? packing.numberOfPackedValues
        var positions: [Int?] = []
        positions.reserveCapacity(pointIndices.count)
        for index in pointIndices {
            guard index >= 0, index < pointCount else {
                throw SimplePackingError("point index \(index) is outside the field's \(pointCount) points")
            }
            let position = bitmap.map { $0.packedPosition(ofPoint: index) } ?? index
            if let position, position >= packing.numberOfPackedValues {
                throw SimplePackingError("the bitmap has more values than the \(packing.numberOfPackedValues) packed values")
            }
            positions.append(position)
        }
        self.packing = packing
        packedPositions = positions
        ranges = packing.bitsPerValue == 0 ? [] : Self.mergedRanges(positions.compactMap { $0 }, bitsPerValue: packing.bitsPerValue, gap: mergeGap)
    }

    /// The bytes the plan reads in total.
    package var byteCount: Int { ranges.reduce(0) { $0 + $1.length } }

    /// The values of the requested points, in the order given (nil for missing points), from
    /// the bytes of `ranges`, one chunk per range in order.
    package func decode(chunks: [[UInt8]]) throws(SimplePackingError) -> [Double?] {
        guard chunks.count == ranges.count else {
            throw SimplePackingError("expected \(ranges.count) chunks of packed values, got \(chunks.count)")
        }
        for (chunk, range) in zip(chunks, ranges) where chunk.count < range.length {
            throw SimplePackingError("a chunk for bytes \(range) has \(chunk.count) bytes, expected \(range.length)")
        }
        return decodeValues { bitOffset in
            let byte = bitOffset / 8
            // The range holding `byte`: the last one starting at or before it.
            var low = 0
            var high = ranges.count - 1
            while low < high {
                let middle = (low + high + 1) / 2
                if ranges[middle].offset <= byte { low = middle } else { high = middle - 1 }
            }
            return Self.extract(from: chunks[low], bitOffset: bitOffset - ranges[low].offset * 8, bits: packing.bitsPerValue)
        }
    }

    /// The values of the requested points from the whole payload (for tests, and fields small
    /// enough to read whole).
    package func decode(payload: [UInt8]) throws(SimplePackingError) -> [Double?] {
        guard payload.count >= packing.packedByteCount else {
            throw SimplePackingError("the payload has \(payload.count) bytes, expected at least \(packing.packedByteCount)")
        }
        return decodeValues { Self.extract(from: payload, bitOffset: $0, bits: packing.bitsPerValue) }
    }

    private func decodeValues(_ packedValue: (Int) -> UInt64) -> [Double?] {
        let bits = packing.bitsPerValue
        return packedPositions.map { position in
            guard let position else { return nil }
            return packing.value(ofPacked: bits == 0 ? 0 : packedValue(position * bits))
        }
    }

    /// The `bits`-bit big-endian unsigned integer at `bitOffset` of `bytes`.
    static func extract(from bytes: [UInt8], bitOffset: Int, bits: Int) -> UInt64 {
        let first = bitOffset >> 3
        let skip = bitOffset & 7
        let byteCount = (skip + bits + 7) >> 3
        var accumulator: UInt64 = 0
        for index in first..<(first + byteCount) {
            accumulator = accumulator << 8 | UInt64(bytes[index])
        }
        let unused = byteCount * 8 - skip - bits
        let mask: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        return (accumulator >> UInt64(unused)) & mask
    }

    /// The byte ranges holding the given packed positions, merged across gaps up to `gap`.
    static func mergedRanges(_ positions: [Int], bitsPerValue bits: Int, gap: Int) -> [ByteRange] {
        let sorted = positions.sorted()
        var ranges: [ByteRange] = []
        for position in sorted {
            let start = position * bits / 8
            let end = (position * bits + bits + 7) / 8
            if let last = ranges.last, start <= last.end + gap {
                ranges[ranges.count - 1].length = max(last.end, end) - last.offset
            } else {
                ranges.append(ByteRange(offset: start, length: end - start))
            }
        }
        return ranges
    }
}
