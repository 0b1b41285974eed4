import Foundation

/// Just enough XML for S3's answers: the text of elements by name, without attributes or
/// namespaces. S3 documents are flat and machine-written; this is not a general parser.
struct SimpleXML {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    /// The raw content of every `<name>...</name>` (or `<name attr="...">`), in order.
    func elements(_ name: String) -> [String] {
        var results: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "<\(name)") {
            let afterName = rest[open.upperBound...]
            guard let next = afterName.first, next == ">" || next == " ", let close = afterName.firstIndex(of: ">") else {
                rest = afterName
                continue
            }
            let content = afterName[afterName.index(after: close)...]
            guard let end = content.range(of: "</\(name)>") else { break }
            results.append(String(content[..<end.lowerBound]))
            rest = content[end.upperBound...]
        }
        return results
    }

    /// The unescaped text of the first `<name>`.
    func first(_ name: String) -> String? {
        elements(name).first.map(Self.unescape)
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
