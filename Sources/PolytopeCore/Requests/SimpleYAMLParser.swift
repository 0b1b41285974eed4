/// A fast path for the YAML that polytope-client sends most often: top-level `key: value`
/// lines, simple quoted values, and block lists of simple items, as `yaml.safe_dump` writes
/// them:
///
/// ```yaml
/// class: od
/// date: '20240101'
/// param:
/// - 2t
/// - msl
/// ```
///
/// It returns nil for anything else (flow collections, nesting, anchors, escapes, comments
/// after values, ...), and `RequestTextParser` then uses the full YAML parser. Where it does
/// answer, the document is exactly what the full parser would give.
struct SimpleYAMLParser {
    /// Checked while reading: keys and values.
    var limits = RequestLimits()

    /// A value as written: plain, or quoted (never split on `/`).
    private enum Scalar {
        case plain(String)
        case quoted(String)

        var text: String {
            switch self {
            case .plain(let text), .quoted(let text): return text
            }
        }
    }

    func parse(_ text: String) throws -> RequestDocument? {
        var document = RequestDocument()
        var openList: (key: String, items: [String])?
        var sawKey = false
        var budget = RequestLimits.Budget(limits)

        func closeList() {
            if let list = openList {
                document[list.key] = .list(list.items)
                openList = nil
            }
        }

        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let content = line.trimmed
            if content.isEmpty || content.hasPrefix("#") { continue }
            if content.hasPrefix("- ") || content == "-" {
                guard openList != nil, content != "-", let item = Self.scalar(content.dropFirst(2).trimmed) else { return nil }
                try budget.spend()
                openList?.items.append(item.text)
                continue
            }
            guard line.first != " ", line.first != "\t", let colon = line.firstIndex(of: ":") else { return nil }
            closeList()
            let rawKey = line[..<colon]
            guard !rawKey.isEmpty, rawKey.utf8.allSatisfy(RequestTextParser.isKeyByte) else { return nil }
            let key = try RequestTextParser.normalise(key: String(rawKey))
            guard document[key] == nil, openList?.key != key else {
                throw PolytopeError.invalidRequest("The key '\(key)' is given more than once.")
            }
            guard document.count < limits.maximumKeys else { throw limits.keysExceeded }
            try budget.spend()
            let rest = line[line.index(after: colon)...]
            guard rest.isEmpty || rest.first == " " else { return nil }
            let valueText = rest.trimmed
            sawKey = true
            if valueText.isEmpty {
                openList = (key, [])
                continue
            }
            guard let value = Self.scalar(valueText) else { return nil }
            switch value {
            case .quoted(let text): document[key] = .list([text])
            case .plain(let text):
                let words = ["~", "null", "Null", "NULL"].contains(text) ? [] : RequestTextParser.splitWords(text, quoted: false)
                try budget.spend(words.count)
                document[key] = .list(words)
            }
        }
        if let list = openList {
            // `key:` with no items is a null value, as in YAML.
            document[list.key] = .list(list.items)
        }
        return sawKey ? document : nil
    }

    /// A value the full parser would read the same way, or nil if it needs the full parser.
    private static func scalar(_ text: String) -> Scalar? {
        guard let first = text.first else { return nil }
        if first == "'" {
            guard text.count >= 2, text.last == "'" else { return nil }
            let inner = text.dropFirst().dropLast()
            var result = ""
            var index = inner.startIndex
            while index < inner.endIndex {
                let character = inner[index]
                if character == "'" {
                    let next = inner.index(after: index)
                    guard next < inner.endIndex, inner[next] == "'" else { return nil }
                    result.append("'")
                    index = inner.index(after: next)
                } else {
                    result.append(character)
                    index = inner.index(after: index)
                }
            }
            return .quoted(result)
        }
        if first == "\"" {
            guard text.count >= 2, text.last == "\"" else { return nil }
            let inner = text.dropFirst().dropLast()
            guard !inner.contains("\""), !inner.contains("\\") else { return nil }
            return .quoted(String(inner))
        }
        if "[]{}#&*!|>%@`,?-:".contains(first) { return nil }
        // `: ` and ` #` (a mapping or comment inside), a tab, or a final `:`: the full parser decides.
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if byte == 0x09 || (previous == 0x3A && byte == 0x20) || (previous == 0x20 && byte == 0x23) { return nil }
            previous = byte
        }
        if previous == 0x3A { return nil }
        return .plain(text)
    }
}
