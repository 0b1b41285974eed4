/// Rewrites metrics in the Prometheus text format so that collections the caller may not
/// see are not named: in their series, the `collection` and `datasource` labels become
/// `(hidden)` (no collection can have that name), and series that then coincide are summed.
/// Counters, gauges and histogram buckets, sums and counts all add up, so totals stay right.
package enum MetricsTextFilter {
    /// The label value that replaces hidden collections and their datasources.
    package static let hidden = "(hidden)"
    /// Labels whose values name a hidden collection's parts.
    static let hiddenLabels: Set<Substring> = ["collection", "datasource"]

    /// `text` with the series of collections for which `shows` is false merged as described
    /// on the type; comments, blank lines and other series are kept as they are.
    package static func filter(_ text: String, shows: (String) -> Bool) -> String {
        var lines: [Line] = []
        var merged: [String: Merged] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let series = Series(line), let collection = series.value(of: "collection"), !shows(collection) else {
                lines.append(.verbatim(line))
                continue
            }
            let key = series.renamed(hiding: hiddenLabels, as: hidden)
            if merged[key] == nil {
                lines.append(.merged(key))
                merged[key] = Merged(firstValue: series.value, total: 0, count: 0)
            }
            merged[key]?.add(series.value)
        }
        return lines.map { line in
            switch line {
            case .verbatim(let text): return String(text)
            case .merged(let key): return key + " " + (merged[key]?.valueText ?? "0")
            }
        }.joined(separator: "\n")
    }

    private enum Line {
        case verbatim(Substring)
        case merged(String)
    }

    /// The series merged under one key, and their sum.
    private struct Merged {
        var firstValue: Substring
        var total: Double
        var count: Int

        mutating func add(_ text: Substring) {
            total += MetricsTextFilter.number(text) ?? 0
            count += 1
        }

        /// The one series' own value, or the sum written as Prometheus reads it.
        var valueText: String {
            if count == 1 { return String(firstValue) }
            if total.isNaN { return "NaN" }
            if total.isInfinite { return total > 0 ? "+Inf" : "-Inf" }
            if total == total.rounded(), abs(total) < 1e15 { return String(Int64(total)) }
            return String(total)
        }
    }

    /// A sample value in the text format.
    static func number(_ text: Substring) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    /// One sample line, `name{label="value",...} value`, with its labels as written.
    struct Series {
        var name: Substring
        /// Labels in order, values still escaped as in the text.
        var labels: [(name: Substring, value: Substring)]
        var value: Substring

        /// Parses a sample line; nil for comments, blank lines and anything unexpected.
        init?(_ line: Substring) {
            guard let first = line.first, first != "#", let nameEnd = line.firstIndex(where: { $0 == "{" || $0 == " " }) else { return nil }
            name = line[..<nameEnd]
            labels = []
            var index = nameEnd
            if line[index] == "{" {
                index = line.index(after: index)
                while index < line.endIndex, line[index] != "}" {
                    guard let equals = line[index...].firstIndex(of: "="), line.index(after: equals) < line.endIndex,
                        line[line.index(after: equals)] == "\""
                    else { return nil }
                    let labelName = line[index..<equals]
                    let valueStart = line.index(equals, offsetBy: 2)
                    var cursor = valueStart
                    while cursor < line.endIndex, line[cursor] != "\"" {
                        cursor = line.index(after: cursor)
                        if line[line.index(before: cursor)] == "\\", cursor < line.endIndex { cursor = line.index(after: cursor) }
                    }
                    guard cursor < line.endIndex else { return nil }
                    labels.append((labelName, line[valueStart..<cursor]))
                    index = line.index(after: cursor)
                    if index < line.endIndex, line[index] == "," { index = line.index(after: index) }
                }
                guard index < line.endIndex else { return nil }
                index = line.index(after: index)
            }
            let rest = line[index...].drop { $0 == " " }
            guard let valueText = rest.split(separator: " ").first else { return nil }
            value = valueText
        }

        /// The unescaped value of a label, if the series has it.
        func value(of label: Substring) -> String? {
            labels.first { $0.name == label }.map { Self.unescape($0.value) }
        }

        /// `name{...}` with the values of `hiddenLabels` replaced by `replacement`.
        func renamed(hiding hiddenLabels: Set<Substring>, as replacement: String) -> String {
            let rendered = labels.map { label in
                "\(label.name)=\"\(hiddenLabels.contains(label.name) ? Substring(replacement) : label.value)\""
            }
            return "\(name){\(rendered.joined(separator: ","))}"
        }

        static func unescape(_ text: Substring) -> String {
            var result = ""
            var escaped = false
            for character in text {
                if escaped {
                    result.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    result.append(character)
                }
            }
            return result
        }
    }
}
