import Foundation
import Yams

/// Turns the request text a client sends into a `RequestDocument`.
///
/// Accepted forms, tried in this order:
/// - a YAML or JSON mapping (`class: od` / `{"class": "od"}`), which is what polytope-client sends;
/// - MARS text: `retrieve, class=od, param=2t/msl` or `key = value, key2 = a/b` (commas or new lines);
/// - a bare scalar such as `1024`, which becomes `data: 1024` as in the reference server.
///
/// Plain values containing `/` are MARS lists (`2t/msl`); quoted values are never split.
/// Anchors and aliases are refused, and nesting, values and keys are bounded by `limits`
/// (checked while reading), so a hostile text costs little. Every form takes time linear in
/// its length.
package struct RequestTextParser: Sendable {
    /// The bounds of every request.
    package var limits: RequestLimits
    /// Whether simple `key: value` YAML skips the full YAML parser (same result, several
    /// times faster); off only to compare both paths in tests.
    package var usesFastPath = true

    package init(limits: RequestLimits = RequestLimits()) {
        self.limits = limits
    }

    /// - Throws: `PolytopeError.invalidRequest` with a message that says what is wrong and where.
    package func parse(_ text: String) throws -> RequestDocument {
        let trimmed = text.trimmed
        guard !trimmed.isEmpty else {
            throw PolytopeError.invalidRequest("The request is empty.")
        }
        if usesFastPath, let document = try SimpleYAMLParser(limits: limits).parse(trimmed) {
            return document
        }
        do {
            try checkShape(of: trimmed)
        } catch let refusal where trimmed.contains("=") {
            // MARS text, read without YAML: a quoted value's `*`, `&`, `!` or commas after
            // `=` (`target="out-*.grib"`) look to the YAML check like aliases or separators.
            guard let document = try? MARSRequestParser(limits: limits).parse(trimmed) else { throw refusal }
            return document
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: trimmed, .default, .default, .utf8)
        } catch YamlError.duplicatedKeysInMapping(let duplicates, _) {
            throw PolytopeError.invalidRequest("The key '\(duplicates.first ?? "")' is given more than once.")
        } catch {
            if trimmed.contains("=") { return try MARSRequestParser(limits: limits).parse(trimmed) }
            // `a: 1, b: 2` on one line is a flow mapping without its braces.
            if !trimmed.contains("\n"), !trimmed.hasPrefix("{"), let flow = try? Yams.compose(yaml: "{\(trimmed)}", .default, .default, .utf8),
                case .mapping(let mapping) = flow
            {
                var budget = RequestLimits.Budget(limits)
                return try document(from: mapping, budget: &budget)
            }
            throw PolytopeError.invalidRequest("The request is neither YAML/JSON nor MARS text: \(Self.describe(error)).")
        }
        guard let root else { throw PolytopeError.invalidRequest("The request is empty.") }
        try checkDepth(of: root)
        switch root {
        case .mapping(let mapping):
            if mapping.keys.contains(where: { $0.scalar?.string.contains("=") ?? false }) {
                return try MARSRequestParser(limits: limits).parse(trimmed)
            }
            var budget = RequestLimits.Budget(limits)
            return try document(from: mapping, budget: &budget)
        case .scalar(let scalar):
            if scalar.style == .plain, scalar.string.contains("=") || scalar.string.contains(",") {
                return try MARSRequestParser(limits: limits).parse(trimmed)
            }
            return RequestDocument(fields: [.init(key: "data", value: .list([scalar.string]))])
        case .sequence:
            throw PolytopeError.invalidRequest(
                "The request must be a mapping of keys to values (YAML, JSON or MARS 'key = value, ...'), not a list."
            )
        case .alias:
            throw PolytopeError.invalidRequest("YAML anchors and aliases are not allowed in requests.")
        }
    }

    /// Converts an already-structured request (a JSON object sent instead of text), held to
    /// the same limits as text.
    package func document(from object: [String: JSONValue]) throws -> RequestDocument {
        guard object.count <= limits.maximumKeys else { throw limits.keysExceeded }
        var budget = RequestLimits.Budget(limits)
        for value in object.values { try check(value, depth: 1, budget: &budget) }
        var document = RequestDocument()
        for key in object.keys.sorted() {
            let normalisedKey = try Self.normalise(key: key)
            guard document[normalisedKey] == nil else {
                throw PolytopeError.invalidRequest("The key '\(normalisedKey)' is given more than once.")
            }
            switch object[key]! {
            case .array(let items) where items.allSatisfy({ $0.scalarText != nil }):
                document[normalisedKey] = .list(items.compactMap(\.scalarText))
            case .null:
                document[normalisedKey] = .list([])
            case let value:
                if let text = value.scalarText {
                    document[normalisedKey] = .list(Self.splitWords(text, quoted: false))
                } else {
                    document[normalisedKey] = .nested(value)
                }
            }
        }
        return document
    }

    /// Holds a structured value to the nesting, value and key limits.
    private func check(_ value: JSONValue, depth: Int, budget: inout RequestLimits.Budget) throws {
        try budget.spend()
        switch value {
        case .array(let items):
            guard depth < limits.maximumNesting else { throw limits.nestingExceeded }
            for item in items { try check(item, depth: depth + 1, budget: &budget) }
        case .object(let members):
            guard depth < limits.maximumNesting else { throw limits.nestingExceeded }
            guard members.count <= limits.maximumKeys else { throw limits.keysExceeded }
            for member in members.values { try check(member, depth: depth + 1, budget: &budget) }
        default:
            break
        }
    }

    // MARK: YAML

    private func document(from mapping: Node.Mapping, budget: inout RequestLimits.Budget) throws -> RequestDocument {
        guard mapping.count <= limits.maximumKeys else { throw limits.keysExceeded }
        var document = RequestDocument()
        for (keyNode, valueNode) in mapping {
            guard let rawKey = keyNode.scalar?.string else {
                throw PolytopeError.invalidRequest("Request keys must be words; found a structure used as a key.")
            }
            let key = try Self.normalise(key: rawKey)
            guard document[key] == nil else {
                throw PolytopeError.invalidRequest("The key '\(key)' is given more than once.")
            }
            document[key] = try value(from: valueNode, key: key, budget: &budget)
        }
        return document
    }

    private func value(from node: Node, key: String, budget: inout RequestLimits.Budget) throws -> RequestDocument.Value {
        try budget.spend()
        switch node {
        case .scalar(let scalar):
            if Self.isNull(scalar) { return .list([]) }
            let words = Self.splitWords(scalar.string, quoted: scalar.style != .plain)
            try budget.spend(words.count)
            return .list(words)
        case .sequence(let sequence):
            try budget.spend(sequence.count)
            var words: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else {
                    return .nested(try json(from: node, budget: &budget))
                }
                words.append(scalar.string)
            }
            return .list(words)
        case .mapping:
            return .nested(try json(from: node, budget: &budget))
        case .alias:
            throw PolytopeError.invalidRequest("YAML anchors and aliases are not allowed in requests (key '\(key)').")
        }
    }

    private func json(from node: Node, budget: inout RequestLimits.Budget) throws -> JSONValue {
        try budget.spend()
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            if Self.isNull(scalar) { return .null }
            switch scalar.string {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let value = Double(scalar.string), value.isFinite { return .number(value) }
            return .string(scalar.string)
        case .sequence(let sequence):
            var items: [JSONValue] = []
            for item in sequence { items.append(try json(from: item, budget: &budget)) }
            return .array(items)
        case .mapping(let mapping):
            guard mapping.count <= limits.maximumKeys else { throw limits.keysExceeded }
            var fields: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let text = key.scalar?.string else {
                    throw PolytopeError.invalidRequest("Request keys must be words; found a structure used as a key.")
                }
                fields[text] = try json(from: value, budget: &budget)
            }
            return .object(fields)
        case .alias:
            throw PolytopeError.invalidRequest("YAML anchors and aliases are not allowed in requests.")
        }
    }

    // MARK: Shared rules

    /// A plain `~`, `null` or empty scalar (YAML 1.2 core schema), decided without the
    /// resolver's regular expressions, which dominate the cost of parsing a short request.
    static func isNull(_ scalar: Node.Scalar) -> Bool {
        guard scalar.style == .plain else { return false }
        switch scalar.string {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// Lower-cases and checks a key: letters, digits, `_`, `-` and `.` only.
    static func normalise(key: String) throws -> String {
        // The usual key (ASCII letters, digits and `_-.`, already trimmed) needs no Unicode work.
        if !key.isEmpty, key.utf8.count <= 64, key.utf8.allSatisfy(isKeyByte) {
            return key.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) ? key.lowercased() : key
        }
        let key = key.trimmed.lowercased()
        guard key.count <= 64 else {
            throw PolytopeError.invalidRequest("'\(key.prefix(64))...' is not a valid request key: keys have at most 64 characters.")
        }
        guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || "_-.".contains($0) }) else {
            throw PolytopeError.invalidRequest("'\(key)' is not a valid request key (letters, digits, '_', '-' and '.' only).")
        }
        return key
    }

    /// An ASCII letter, digit, `_`, `-` or `.`: a byte of a key as most requests write it.
    static func isKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F, 0x2D, 0x2E: return true
        default: return false
        }
    }

    /// Splits a plain value on `/` (MARS lists) unless it is quoted or a part would be empty
    /// (so paths and URLs stay whole).
    static func splitWords(_ text: String, quoted: Bool) -> [String] {
        guard !quoted, text.utf8.contains(UInt8(ascii: "/")) else { return [text] }
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { Substring($0).trimmed }
        return parts.contains(where: \.isEmpty) ? [text] : parts
    }

    /// Rejects YAML nested deeper than the limit by indentation (block mappings and
    /// sequences, which `checkShape` cannot see), without recursion.
    private func checkDepth(of root: Node) throws {
        var pending: [(Node, Int)] = [(root, 0)]
        while let (node, depth) = pending.popLast() {
            let children: [Node]
            switch node {
            case .mapping(let mapping): children = Array(mapping.values)
            case .sequence(let sequence): children = Array(sequence)
            case .scalar, .alias: continue
            }
            // Counted as brackets would be in flow style: the top-level mapping is level 1.
            guard depth < limits.maximumNesting else { throw limits.nestingExceeded }
            for child in children { pending.append((child, depth + 1)) }
        }
    }

    /// Rejects what would make the YAML parser work hard or recurse deeply: anchors, aliases,
    /// tags, deep flow nesting, and more separators (`:`, `,`, `-`, new lines) than the value
    /// and key limits allow values. Quoted text is skipped.
    private func checkShape(of text: String) throws {
        var depth = 0
        var separators = 0
        let maximumSeparators = 2 * (limits.maximumValues + limits.maximumKeys)
        var quote: Character?
        var previous: Character = ":"
        let nodeStart: Set<Character> = [":", "-", "[", "{", ",", "?"]
        for character in text {
            if let open = quote {
                if character == open { quote = nil }
                continue
            }
            let atNodeStart = nodeStart.contains(previous)
            switch character {
            case "\"", "'":
                if atNodeStart { quote = character }
            case "[", "{":
                depth += 1
                if depth > limits.maximumNesting { throw limits.nestingExceeded }
            case "]", "}":
                depth -= 1
            case ":", ",", "-", "\n":
                separators += 1
                if separators > maximumSeparators { throw limits.valuesExceeded }
            case "&", "*", "!":
                if atNodeStart {
                    let what = character == "!" ? "tags" : "anchors and aliases"
                    throw PolytopeError.invalidRequest("YAML \(what) are not allowed in requests.")
                }
            default:
                break
            }
            if !character.isWhitespace { previous = character }
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let error = error as? YamlError else { return "unreadable text" }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            if problem.lowercased().contains("nesting level") {
                return "line \(mark.line): the request is nested too deeply"
            }
            return "line \(mark.line), column \(mark.column): \(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "the key '\(duplicates.first ?? "")' is given more than once"
        default:
            return "unreadable text"
        }
    }
}
