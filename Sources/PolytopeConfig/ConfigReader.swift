import Foundation

/// Collects problems and remembers which keys were read, so that unknown keys can be reported.
///
/// One diagnostics object is shared by every `ConfigReader` made from the same root.
package final class ConfigDiagnostics {
    package private(set) var issues: [ConfigIssue] = []
    /// The environment variables the configuration referenced with `${NAME}`: how secrets
    /// get into it, so programs the server starts do not inherit them (`ConfigLoader`).
    package var referencedVariables: Set<String> = []
    fileprivate var openedMappings: Set<String> = []
    fileprivate var consumedKeys: Set<String> = []
    fileprivate var knownKeys: [String: Set<String>] = [:]

    package init(referencedVariables: Set<String> = []) {
        self.referencedVariables = referencedVariables
    }

    package func report(_ issue: ConfigIssue) {
        if !issues.contains(issue) { issues.append(issue) }
    }

    /// Reports every key of an opened mapping that no reader asked for, with a suggestion
    /// when a known key is spelled similarly.
    fileprivate func reportUnknownKeys(in node: ConfigNode, path: String) {
        switch node.value {
        case .mapping(let entries):
            guard openedMappings.contains(path) else { return }
            for entry in entries {
                let childPath = ConfigPath.join(path, entry.key)
                if consumedKeys.contains(childPath) {
                    reportUnknownKeys(in: entry.value, path: childPath)
                } else {
                    var message = "unknown key '\(entry.key)'"
                    if let suggestion = Self.closest(to: entry.key, in: knownKeys[path] ?? []) {
                        message += " (did you mean '\(suggestion)'?)"
                    }
                    report(ConfigIssue(location: entry.value.location, path: childPath, message: message))
                }
            }
        case .sequence(let items):
            for (index, item) in items.enumerated() {
                reportUnknownKeys(in: item, path: "\(path)[\(index)]")
            }
        default:
            return
        }
    }

    private static func closest(to key: String, in candidates: Set<String>) -> String? {
        let scored = candidates.map { ($0, editDistance(key.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
        return best.1 <= max(2, key.count / 3) ? best.0 : nil
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Reads typed values out of one mapping of a configuration tree.
///
/// Readers never throw: a missing or ill-typed value is recorded in the shared
/// `ConfigDiagnostics` (with file, line and key path) and the default is used, so that one
/// pass reports every problem. Call `finish()` on the root reader once all sections are read.
package struct ConfigReader {
    package let node: ConfigNode
    package let path: String
    package let diagnostics: ConfigDiagnostics

    /// A reader over the root of a tree.
    package init(root: ConfigNode, diagnostics: ConfigDiagnostics = ConfigDiagnostics()) {
        self.init(node: root, path: "", diagnostics: diagnostics)
    }

    init(node: ConfigNode, path: String, diagnostics: ConfigDiagnostics) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
        if case .mapping = node.value {
            diagnostics.openedMappings.insert(path)
        }
    }

    /// A reader over another node (for example a shared definition merged with local
    /// overrides) that reports problems as if it were this one.
    package func reader(for replacement: ConfigNode) -> ConfigReader {
        ConfigReader(node: replacement, path: path, diagnostics: diagnostics)
    }

    /// Reports unknown keys everywhere under the root, then throws if any problem was found.
    package func finish() throws {
        diagnostics.reportUnknownKeys(in: node, path: path)
        if !diagnostics.issues.isEmpty {
            throw ConfigError(issues: diagnostics.issues)
        }
    }

    // MARK: Access

    /// The keys of this mapping, in file order.
    package var keys: [String] {
        guard case .mapping(let entries) = node.value else { return [] }
        return entries.map(\.key)
    }

    /// Whether this mapping has `key` (marks it as known, not as read).
    package func contains(_ key: String) -> Bool {
        remember(key)
        return node[key] != nil
    }

    /// The raw node under `key`, marked as read.
    package func value(_ key: String) -> ConfigNode? {
        remember(key)
        guard let child = node[key] else { return nil }
        diagnostics.consumedKeys.insert(childPath(key))
        return child
    }

    /// Records a problem about `key` (or this mapping when `key` is nil).
    package func report(_ message: String, key: String? = nil) {
        let location = key.flatMap { node[$0]?.location } ?? node.location
        diagnostics.report(ConfigIssue(location: location, path: key.map(childPath) ?? path, message: message))
    }

    /// A reader for the mapping under `key`; nil (and a reported problem) if it is not a mapping.
    package func section(_ key: String) -> ConfigReader? {
        guard let child = value(key) else { return nil }
        if case .null = child.value { return nil }
        guard case .mapping = child.value else {
            report("expected a mapping, found \(child.typeDescription)", key: key)
            return nil
        }
        return ConfigReader(node: child, path: childPath(key), diagnostics: diagnostics)
    }

    /// Readers for every entry of this mapping, each marked as read.
    package func entries() -> [(key: String, value: ConfigReader)] {
        guard case .mapping(let entries) = node.value else { return [] }
        return entries.map { entry in
            diagnostics.consumedKeys.insert(childPath(entry.key))
            return (entry.key, ConfigReader(node: entry.value, path: childPath(entry.key), diagnostics: diagnostics))
        }
    }

    /// Readers for the items of the list under `key`; nil if absent.
    package func list(_ key: String) -> [ConfigReader]? {
        guard let child = value(key) else { return nil }
        switch child.value {
        case .null: return []
        case .sequence(let items):
            return items.enumerated().map { ConfigReader(node: $1, path: "\(childPath(key))[\($0)]", diagnostics: diagnostics) }
        default:
            report("expected a list, found \(child.typeDescription)", key: key)
            return nil
        }
    }

    // MARK: Scalars

    /// This node as text, if it is a scalar.
    package var scalarText: String? {
        if case .scalar(let text, _) = node.value { return text }
        return nil
    }

    package func string(_ key: String) -> String? {
        guard let child = value(key) else { return nil }
        switch child.value {
        case .null: return nil
        case .scalar(let text, _): return text
        default:
            report("expected a text value, found \(child.typeDescription)", key: key)
            return nil
        }
    }

    package func string(_ key: String, default fallback: String) -> String {
        string(key) ?? fallback
    }

    package func int(_ key: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let child = value(key) else { return nil }
        guard case .scalar(let text, let kind) = child.value, kind == .integer || kind == .string, let number = Self.integer(text) else {
            if case .null = child.value { return nil }
            report("expected an integer, found \(child.typeDescription)", key: key)
            return nil
        }
        if let range, !range.contains(number) {
            report("\(number) is out of range; expected \(range.lowerBound)...\(range.upperBound)", key: key)
            return nil
        }
        return number
    }

    /// An integer as YAML writes one: decimal (`1_000`), `0x` hexadecimal or `0o` octal.
    static func integer(_ text: String) -> Int? {
        let digits = text.replacingOccurrences(of: "_", with: "")
        for (prefix, radix) in [("0x", 16), ("0o", 8)] where digits.lowercased().hasPrefix(prefix) {
            return Int(digits.dropFirst(2), radix: radix)
        }
        return Int(digits)
    }

    package func int(_ key: String, default fallback: Int, range: ClosedRange<Int>? = nil) -> Int {
        int(key, range: range) ?? fallback
    }

    package func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let child = value(key) else { return fallback }
        if case .scalar(let text, _) = child.value {
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        if case .null = child.value { return fallback }
        report("expected true or false, found \(child.typeDescription)", key: key)
        return fallback
    }

    /// A duration written as `90s`, `500ms`, `24h`, `1d2h` or a number of seconds, of at
    /// least `minimum`.
    package func duration(_ key: String, default fallback: Duration, minimum: Duration = .zero) -> Duration {
        guard let text = string(key) else { return fallback }
        guard let duration = HumanDuration.parse(text) else {
            report("expected a duration such as 90s, 15m, 24h or 1d2h (at most 100 years), found \"\(text)\"", key: key)
            return fallback
        }
        guard duration >= minimum else {
            report("\(text) is too short; the minimum is \(HumanDuration.format(minimum))", key: key)
            return fallback
        }
        return duration
    }

    /// A size in bytes written as `500M`, `10G`, `64K` (powers of 1024) or a plain number of bytes.
    package func byteCount(_ key: String, default fallback: Int64) -> Int64 {
        guard let text = string(key) else { return fallback }
        guard let bytes = HumanByteCount.parse(text) else {
            report("expected a size such as 64K, 500M or 10G, found \"\(text)\"", key: key)
            return fallback
        }
        return bytes
    }

    /// One of a fixed set of words.
    package func choice<T>(_ key: String, _ choices: KeyValuePairs<String, T>, default fallback: T) -> T {
        guard let text = string(key) else { return fallback }
        if let match = choices.first(where: { $0.key == text.lowercased() }) { return match.value }
        report("expected one of \(choices.map { $0.key }.joined(separator: ", ")), found \"\(text)\"", key: key)
        return fallback
    }

    /// A list of words, written as a YAML list or as one value (`a/b/c` is split when `splitOnSlash`).
    package func strings(_ key: String, splitOnSlash: Bool = false) -> [String]? {
        guard let child = value(key) else { return nil }
        return ConfigReader.strings(of: child, splitOnSlash: splitOnSlash)
            ?? {
                report("expected a list of values, found \(child.typeDescription)", key: key)
                return nil
            }()
    }

    /// The text values of a scalar or a list of scalars; nil for anything else.
    package static func strings(of node: ConfigNode, splitOnSlash: Bool) -> [String]? {
        func split(_ text: String) -> [String] {
            splitOnSlash ? text.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) } : [text]
        }
        switch node.value {
        case .null: return []
        case .scalar(let text, _): return split(text)
        case .sequence(let items):
            var values: [String] = []
            for item in items {
                guard case .scalar(let text, _) = item.value else { return nil }
                values += split(text)
            }
            return values
        case .mapping: return nil
        }
    }

    // MARK: Private

    private func childPath(_ key: String) -> String { ConfigPath.join(path, key) }

    private func remember(_ key: String) {
        diagnostics.knownKeys[path, default: []].insert(key)
    }
}
