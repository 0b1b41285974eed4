import PolytopeCore

/// A request after `MarsRequestNormaliser`: the verb (if given) and, in the order written, each
/// key (lower case) with its values expanded and written in one canonical form.
///
/// Values are unique within a key. Structured values (YAML mappings such as a `feature`
/// block), which are not MARS, are kept apart in `structuredFields`, unchanged.
package struct NormalisedRequest: Sendable, Hashable {
    /// One key with its values.
    package struct Field: Sendable, Hashable {
        package var key: String
        package var values: [String]

        package init(key: String, values: [String]) {
            self.key = key
            self.values = values
        }
    }

    /// The verb, if the request named one.
    package var verb: Verb?
    /// The keys with lists of values, in request order.
    package var fields: [Field]
    /// The keys with structured values, in request order, as they were given.
    package var structuredFields: [RequestDocument.Field]

    package init(verb: Verb? = nil, fields: [Field] = [], structuredFields: [RequestDocument.Field] = []) {
        self.verb = verb
        self.fields = fields
        self.structuredFields = structuredFields
    }

    /// The keys with lists of values, in request order.
    package var keys: [String] { fields.map(\.key) }

    /// The values of `key` (case-insensitive), or nil if the request does not have it.
    package subscript(key: String) -> [String]? {
        let key = key.lowercased()
        return fields.first { $0.key == key }?.values
    }

    /// The request as a document: list fields first, then structured ones.
    package var document: RequestDocument {
        RequestDocument(fields: fields.map { .init(key: $0.key, value: .list($0.values)) } + structuredFields)
    }

    /// The request in MARS syntax, `retrieve,class=od,date=20240101/20240102`, without
    /// structured fields.
    package var marsText: String {
        let pairs = fields.map { "\($0.key)=\($0.values.joined(separator: "/"))" }
        return ((verb.map { [$0.rawValue] } ?? []) + pairs).joined(separator: ",")
    }
}
