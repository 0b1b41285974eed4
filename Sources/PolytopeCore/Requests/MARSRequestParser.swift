import Foundation

/// Parses MARS request text: an optional verb, then `key = value` pairs separated by commas
/// or new lines; values are `/`-separated lists and may be quoted.
///
/// ```
/// retrieve,
///   class = od, date = -1, time = 00/12,
///   param = 2t/msl, target = "out.grib"
/// ```
struct MARSRequestParser {
    /// Checked while reading: keys and values.
    var limits = RequestLimits()

    func parse(_ text: String) throws -> RequestDocument {
        var document = RequestDocument()
        var budget = RequestLimits.Budget(limits)
        let items = try split(text)
        for (index, item) in items.enumerated() {
            guard let equals = item.firstIndex(of: "=") else {
                if index == 0, Verb(rawValue: item.lowercased()) != nil || item.allSatisfy(\.isLetter) { continue }
                throw PolytopeError.invalidRequest("'\(item.prefix(80))' is not of the form key = value.")
            }
            let key = try RequestTextParser.normalise(key: String(item[..<equals]))
            guard document[key] == nil else {
                throw PolytopeError.invalidRequest("The key '\(key)' is given more than once.")
            }
            guard document.count < limits.maximumKeys else { throw limits.keysExceeded }
            let rawValue = item[item.index(after: equals)...].trimmed
            let words = values(of: rawValue)
            try budget.spend(1 + words.count)
            document[key] = .list(words)
        }
        guard !document.isEmpty else {
            throw PolytopeError.invalidRequest("The request has no key = value pairs.")
        }
        return document
    }

    /// Splits on commas and new lines outside quotes.
    private func split(_ text: String) throws -> [String] {
        var items: [String] = []
        let maximumItems = limits.maximumKeys + 1
        var current = ""
        var quote: Character?
        for character in text {
            if let open = quote {
                current.append(character)
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
                current.append(character)
            } else if character == "," || character == "\n" || character == "\r" {
                if !current.trimmed.isEmpty {
                    items.append(current)
                    guard items.count <= maximumItems else { throw limits.keysExceeded }
                }
                current = ""
            } else {
                current.append(character)
            }
        }
        guard quote == nil else { throw PolytopeError.invalidRequest("A quoted value is not closed.") }
        items.append(current)
        return items.map(\.trimmed).filter { !$0.isEmpty }
    }

    /// `a/b/c` → three words; `"a/b"` → one word; an empty value → no words.
    private func values(of text: String) -> [String] {
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            return [String(text.dropFirst().dropLast())]
        }
        guard !text.isEmpty else { return [] }
        return text.split(separator: "/").map(\.trimmed).filter { !$0.isEmpty }
    }
}
