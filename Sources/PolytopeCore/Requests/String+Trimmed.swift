extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and line breaks (no Foundation).
    /// Works on the UTF-8 bytes: the characters it removes are all ASCII.
    package var trimmed: String {
        let bytes = utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        var first: UTF8View.Index?
        var end = bytes.startIndex
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let next = bytes.index(after: index)
            if !isSpace(bytes[index]) {
                if first == nil { first = index }
                end = next
            }
            index = next
        }
        guard let first else { return "" }
        return String(decoding: bytes[first..<end], as: UTF8.self)
    }
}
