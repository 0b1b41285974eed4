/// A run of bytes to read: `offset` from the start of the packed values, `length` bytes.
package struct ByteRange: Hashable, Sendable, CustomStringConvertible {
    package var offset: Int
    package var length: Int

    package init(offset: Int, length: Int) {
        self.offset = offset
        self.length = length
    }

    /// One past the last byte.
    package var end: Int { offset + length }

    package var description: String { "\(offset)..<\(end)" }
}
