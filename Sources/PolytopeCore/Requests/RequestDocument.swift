/// A parsed request: an ordered list of keys, each with a list of values (MARS style) or a
/// nested structure.
///
/// Keys are lower case and unique. The order is the order in which the user wrote them, so
/// that datasources (and users reading their request back) see it as written.
public struct RequestDocument: Sendable, Hashable {
    /// The value of one key.
    public enum Value: Sendable, Hashable, Codable {
        /// One or more words (`2t/msl` or a YAML list); an empty list for a key given without a value.
        case list([String])
        /// A structure (mapping, or list of non-words), kept as JSON.
        case nested(JSONValue)

        /// The words of a list value; nil for a nested value.
        public var words: [String]? {
            if case .list(let words) = self { return words }
            return nil
        }

        /// The value written as a user would: `a/b/c` for lists.
        public var displayText: String {
            switch self {
            case .list(let words): return words.joined(separator: "/")
            case .nested(let json): return json.scalarText ?? "{...}"
            }
        }
    }

    /// One key with its value.
    public struct Field: Sendable, Hashable, Codable {
        public var key: String
        public var value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(fields: [Field] = []) {
        self.fields = []
        for field in fields { self[field.key] = field.value }
    }

    public var keys: [String] { fields.map(\.key) }
    public var isEmpty: Bool { fields.isEmpty }

    /// The value under `key` (case-insensitive); setting nil removes the key, setting a new
    /// key appends it.
    public subscript(key: String) -> Value? {
        get {
            let key = key.lowercased()
            return fields.first { $0.key == key }?.value
        }
        set {
            let key = key.lowercased()
            let index = fields.firstIndex { $0.key == key }
            switch (index, newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append(Field(key: key, value: value))
            case (nil, nil): break
            }
        }
    }

    /// The single word under `key`, if the key has exactly one.
    public func word(_ key: String) -> String? {
        guard let words = self[key]?.words, words.count == 1 else { return nil }
        return words[0]
    }

    /// The request in MARS form: `key=a/b, key2=c`.
    public var marsText: String {
        fields.map { "\($0.key)=\($0.value.displayText)" }.joined(separator: ", ")
    }
}

extension RequestDocument: Codable {
    /// Stored as `[["key", ["a", "b"]], ["feature", {"json": {...}}]]`: compact and ordered.
    public init(from decoder: any Decoder) throws {
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

    public func encode(to encoder: any Encoder) throws {
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
    public var compactJSON: String? {
        var parts: [String] = []
        for field in fields {
            guard case .list(let words) = field.value else { return nil }
            parts.append("[" + JSONText.string(field.key) + "," + JSONText.array(words) + "]")
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    private struct NestedValue: Codable {
        var json: JSONValue
    }
}
