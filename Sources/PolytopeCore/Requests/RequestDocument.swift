import Foundation

/// A parsed request: an ordered list of keys, each with a list of values (MARS style) or a
/// nested structure.
///
/// Keys are lower case and unique. The order is the order in which the user wrote them, so
/// that datasources (and users reading their request back) see it as written.
package struct RequestDocument: Sendable, Hashable {
    /// The value of one key.
    package enum Value: Sendable, Hashable, Codable {
        /// One or more words (`2t/msl` or a YAML list); an empty list for a key given without a value.
        case list([String])
        /// A structure (mapping, or list of non-words), kept as JSON.
        case nested(JSONValue)

        /// The words of a list value; nil for a nested value.
        package var words: [String]? {
            if case .list(let words) = self { return words }
            return nil
        }

        /// The value written as a user would: `a/b/c` for lists.
        package var displayText: String {
            switch self {
            case .list(let words): return words.joined(separator: "/")
            case .nested(let json): return json.scalarText ?? "{...}"
            }
        }
    }

    /// One key with its value.
    package struct Field: Sendable, Hashable, Codable {
        package var key: String
        package var value: Value

        package init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    package private(set) var fields: [Field]
    /// Where each key is in `fields`, so that lookups and inserts take constant time (a
    /// request with tens of thousands of keys must not cost a quadratic amount of work).
    private var positions: [String: Int]

    package init(fields: [Field] = []) {
        self.fields = []
        self.positions = [:]
        self.fields.reserveCapacity(fields.count)
        for field in fields { self[field.key] = field.value }
    }

    package var count: Int { fields.count }

    package static func == (lhs: RequestDocument, rhs: RequestDocument) -> Bool { lhs.fields == rhs.fields }

    package func hash(into hasher: inout Hasher) { hasher.combine(fields) }

    package var keys: [String] { fields.map(\.key) }
    package var isEmpty: Bool { fields.isEmpty }

    /// The value under `key` (case-insensitive); setting nil removes the key, setting a new
    /// key appends it.
    package subscript(key: String) -> Value? {
        get {
            positions[key.lowercased()].map { fields[$0].value }
        }
        set {
            let key = key.lowercased()
            switch (positions[key], newValue) {
            case (let index?, let value?):
                fields[index].value = value
            case (let index?, nil):
                fields.remove(at: index)
                positions[key] = nil
                for later in index..<fields.count { positions[fields[later].key] = later }
            case (nil, let value?):
                positions[key] = fields.count
                fields.append(Field(key: key, value: value))
            case (nil, nil):
                break
            }
        }
    }

    /// The single word under `key`, if the key has exactly one.
    package func word(_ key: String) -> String? {
        guard let words = self[key]?.words, words.count == 1 else { return nil }
        return words[0]
    }

    /// The request in MARS form: `key=a/b, key2=c`.
    package var marsText: String {
        fields.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: ", ")
    }
}

extension RequestDocument: Codable {
    /// Stored as `[["key", ["a", "b"]], ["feature", {"json": {...}}]]`: compact and ordered.
    package init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        self.init()
        while !container.isAtEnd {
            var pair = try container.nestedUnkeyedContainer()
            let key = try pair.decode(String.self)
            if let words = try? pair.decode([String].self) {
                self[key] = .list(words)
            } else {
                self[key] = .nested(try pair.decode(NestedValue.self).json)
            }
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for field in fields {
            var pair = container.nestedUnkeyedContainer()
            try pair.encode(field.key)
            switch field.value {
            case .list(let words): try pair.encode(words)
            case .nested(let json): try pair.encode(NestedValue(json: json))
            }
        }
    }

    /// The stored form written without `JSONEncoder`, for documents of word lists; nil when
    /// the document has nested values (encode it with `JSONEncoder` then).
    package var compactJSON: String? {
        var parts: [String] = []
        for field in fields {
            guard case .list(let words) = field.value else { return nil }
            parts.append("[" + JSONText.string(field.key) + "," + JSONText.array(words) + "]")
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    /// The document as one JSON object (`{"class":["od"],"feature":{...}}`), keys in order: a
    /// request any Polytope server reads back as this document (JSON is YAML).
    package func objectJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var parts: [String] = []
        for field in fields {
            let value: String
            switch field.value {
            case .list(let words): value = JSONText.array(words)
            case .nested(let json): value = String(decoding: try encoder.encode(json), as: UTF8.self)
            }
            parts.append(JSONText.string(field.key) + ":" + value)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private struct NestedValue: Codable {
        var json: JSONValue
    }
}
