/// Writes JSON text directly, for the few fixed shapes on hot paths (request rows, short
/// responses) where `JSONEncoder` costs more than the rest of the work.
package enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    package static func string(_ text: String) -> String {
        // Most texts need no escape: one pass over the bytes, then one copy.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) { return "\"" + text + "\"" }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// An object of string values, keys in the order given.
    package static func object(_ fields: KeyValuePairs<String, String>) -> String {
        "{" + fields.map { string($0.key) + ":" + string($0.value) }.joined(separator: ",") + "}"
    }

    /// An object of string values, keys sorted (as `JSONEncoder` with `.sortedKeys` writes it).
    package static func object(sortingKeysOf fields: [String: String]) -> String {
        "{" + fields.keys.sorted().map { string($0) + ":" + string(fields[$0]!) }.joined(separator: ",") + "}"
    }

    /// An array of strings.
    package static func array(_ items: some Sequence<String>) -> String {
        "[" + items.map(string).joined(separator: ",") + "]"
    }
}
