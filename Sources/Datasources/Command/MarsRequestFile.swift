import PolytopeCore

/// A request written for the MARS client:
///
/// ```text
/// retrieve,
///  class=od,
///  param=2t/msl,
///  target="/tmp/polytope-command-Ab12Cd/output"
/// ```
///
/// The user's values cannot change what the file says beyond their own key: values that the
/// syntax cannot carry safely (quotes, line breaks, control characters), structured values and
/// a `target` of the user's own are refused (`problems(in:)`), and values other than plain
/// words are quoted.
enum MarsRequestFile {
    /// Why `document` cannot be written as a MARS request; empty if it can.
    static func problems(in document: RequestDocument) -> [String] {
        var problems: [String] = []
        for field in document.fields {
            if field.key == "target" {
                problems.append("key 'target' is set by the service, not by the request")
                continue
            }
            guard isPlainWord(field.key) else {
                problems.append("key \(display(field.key)) is not a valid request key (letters, digits, '_', '.', '-', '+', ':')")
                continue
            }
            guard case .list(let words) = field.value else {
                problems.append("key '\(field.key)' has a structured value; this datasource accepts only lists of values")
                continue
            }
            if words.isEmpty || words.contains(where: \.isEmpty) {
                problems.append("key '\(field.key)' has an empty value")
            } else if let word = words.first(where: { !canQuote($0) }) {
                problems.append("key '\(field.key)': value \(display(word)) contains a quote, backslash, '#', line break or control character")
            }
        }
        return problems
    }

    /// The request text: `verb`, then one `key=values` line per field, then `target="..."`.
    /// Call only for a document without `problems(in:)`.
    static func render(verb: Verb, document: RequestDocument, target: String) -> String {
        var lines = [verb.rawValue]
        for field in document.fields {
            guard case .list(let words) = field.value else { continue }
            lines.append(" \(field.key)=\(words.map(quoted).joined(separator: "/"))")
        }
        lines.append(" target=\"\(target)\"")
        return lines.joined(separator: ",\n") + "\n"
    }

    /// A word as MARS reads it: bare if it is a plain word, otherwise in double quotes.
    static func quoted(_ word: String) -> String {
        isPlainWord(word) ? word : "\"\(word)\""
    }

    /// Letters, digits and `_ . - + :` only.
    static func isPlainWord(_ word: String) -> Bool {
        !word.isEmpty
            && word.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-+:".unicodeScalars.contains(scalar))
            }
    }

    /// Whether the word can be written between double quotes: MARS parsers read a backslash
    /// as escaping the closing quote, `#` as a comment even inside quotes, and `'` as a quote,
    /// any of which would let a value end the string early and add keys or requests.
    static func canQuote(_ word: String) -> Bool {
        word.unicodeScalars.allSatisfy { !Self.unquotable.contains($0) && $0.properties.generalCategory != .control }
    }

    private static let unquotable: Set<Unicode.Scalar> = ["\"", "'", "\\", "#"]

    private static func display(_ word: String) -> String {
        let visible = word.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()
        return "'\(visible.prefix(40))'"
    }
}
