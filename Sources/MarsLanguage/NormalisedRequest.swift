import PolytopeCore

/// A request after `MarsRequestNormaliser`: the verb (if given) and, in the order written, each
/// key (lower case) with its values expanded and written in one canonical form.
///
/// Values are unique within a key. Structured values (YAML mappings such as a `feature`
/// block), which are not MARS, are kept apart in `structuredFields`, unchanged.
public struct NormalisedRequest: Sendable, Hashable {
    /// One key with its values.
    public struct Field: Sendable, Hashable {
        public var key: String
        public var values: [String]

        public init(key: String, values: [String]) {
            self.key = key
            self.values = values
        }
    }

    /// The verb, if the request named one.
    public var verb: Verb?
    /// The keys with lists of values, in request order.
    public var fields: [Field]
    /// The keys with structured values, in request order, as they were given.
    public var structuredFields: [RequestDocument.Field]

    public init(verb: Verb? = nil, fields: [Field] = [], structuredFields: [RequestDocument.Field] = []) {
        self.verb = verb
        self.fields = fields
        self.structuredFields = structuredFields
    }

    /// The keys with lists of values, in request order.
    public var keys: [String] { fields.map(\.key) }

    /// The values of `key` (case-insensitive), or nil if the request does not have it.
    public subscript(key: String) -> [String]? {
        let key = key.lowercased()
        return fields.first { $0.key == key }?.values
    }

    /// The request as a document: list fields first, then structured ones.
    public var document: RequestDocument {
        RequestDocument(fields: fields.map { .init(key: $0.key, value: .list($0.values)) } + structuredFields)
    }

    /// The request in MARS syntax, `retrieve,class=od,date=20240101/20240102`, without
    /// structured fields.
    public var marsText: String {
        let pairs = fields.map { "\($0.key)=\($0.values.joined(separator: "/"))" }
        return ((verb.map { [$0.rawValue] } ?? []) + pairs).joined(separator: ",")
    }
}
