/// One item of a MARS value list: a single value, or a range `from/to/to[/by/by]`.
enum ValueListItem: Hashable, Sendable {
    case single(String)
    case range(from: String, to: String, by: String?)

    /// The item as written, for messages.
    var text: String {
        switch self {
        case .single(let value): return value
        case .range(let from, let to, let by): return "\(from)/to/\(to)" + (by.map { "/by/\($0)" } ?? "")
        }
    }

    /// Splits the words of one key into items. Misplaced `to`/`by` words are reported in
    /// `problems` (each a reason completing `key: ...`) and skipped.
    static func parse(_ words: [String]) -> (items: [ValueListItem], problems: [String]) {
        var items: [ValueListItem] = []
        var problems: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if isKeyword(word, "to") {
                problems.append("'to' must come between a start and an end value, as in 1/to/10")
                index += 1
                continue
            }
            if isKeyword(word, "by") {
                problems.append("'by' must follow a range, as in 0/to/48/by/6")
                index += 2
                continue
            }
            guard index + 1 < words.count, isKeyword(words[index + 1], "to") else {
                items.append(.single(word))
                index += 1
                continue
            }
            guard index + 2 < words.count, !isKeyword(words[index + 2]) else {
                problems.append("'\(word)/to' must be followed by an end value, as in \(word)/to/10")
                index += 2
                continue
            }
            var next = index + 3
            var increment: String?
            if next < words.count, isKeyword(words[next], "by") {
                guard next + 1 < words.count, !isKeyword(words[next + 1]) else {
                    problems.append("'by' must be followed by an increment, as in 0/to/48/by/6")
                    index = next + 1
                    continue
                }
                increment = words[next + 1]
                next += 2
            }
            items.append(.range(from: word, to: words[index + 2], by: increment))
            index = next
        }
        return (items, problems)
    }

    private static func isKeyword(_ word: String, _ keyword: String) -> Bool {
        word.count == keyword.count && word.lowercased() == keyword
    }

    private static func isKeyword(_ word: String) -> Bool {
        isKeyword(word, "to") || isKeyword(word, "by")
    }
}
