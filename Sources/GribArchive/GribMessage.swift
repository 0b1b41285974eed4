/// One GRIB message of a file, as `GribMessageReader` found it: where it is and its MARS keys
/// exactly as ecCodes writes them (`param` may be `167` or `129.128`, `time` `1200`).
package struct GribMessage: Sendable, Hashable {
    /// The message's position in its file, counting from 1.
    package var number: Int
    /// The byte offset of the message (its `GRIB` marker) in the file.
    package var offset: Int64
    /// The message's length in bytes (through its `7777` end marker).
    package var length: Int64
    /// The keys of ecCodes' `mars` namespace with their values as text.
    package var marsKeys: [String: String]
    /// The message's grid and data section.
    package var layout: FieldLayout?

    package init(number: Int, offset: Int64, length: Int64, marsKeys: [String: String], layout: FieldLayout? = nil) {
        self.number = number
        self.offset = offset
        self.length = length
        self.marsKeys = marsKeys
        self.layout = layout
    }

    /// The first byte after the message.
    package var end: Int64 { offset + length }

    /// `message 3 (bytes 358..<537)`, to name the message in errors.
    package var position: String { "message \(number) (bytes \(offset)..<\(end))" }
}
