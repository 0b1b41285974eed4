/// Where the bytes of one archived field are.
package struct ArchivedField: Sendable, Hashable {
    /// The field's `FieldKey.canonical` text.
    package var key: String
    /// The archive file holding it, relative to the archive's root.
    package var file: String
    /// The offset of its message in the file.
    package var offset: Int64
    /// The length of its message.
    package var length: Int64

    package init(key: String, file: String, offset: Int64, length: Int64) {
        self.key = key
        self.file = file
        self.offset = offset
        self.length = length
    }
}

/// What a retrieval will return: the archived fields a request asks for, in request order,
/// and the requested fields the archive does not have.
///
/// The fields asked for are the combinations of the values of the request's keys, the first
/// key varying slowest and values in the order written. A key the request leaves out (or
/// gives as `all`) matches any value the archive holds; so one combination may match several
/// fields, which follow each other ordered by those keys' values.
package struct RetrievalPlan: Sendable, Hashable {
    /// The fields found, in request order.
    package var fields: [ArchivedField]
    /// The combinations that match no field, in request order, each as `date=20250101,param=167`
    /// (the request's keys in its order).
    package var missing: [String]
    /// The number of combinations the request asks for.
    package var requestedCount: Int
    /// Request keys that no archived field has and that are not MARS keys (such as `grid` or
    /// `target`); they select nothing.
    package var ignoredKeys: [String]

    package init(fields: [ArchivedField], missing: [String], requestedCount: Int, ignoredKeys: [String]) {
        self.fields = fields
        self.missing = missing
        self.requestedCount = requestedCount
        self.ignoredKeys = ignoredKeys
    }

    /// The exact length of the result: the sum of the fields' lengths.
    package var totalLength: Int64 { fields.reduce(0) { $0 + $1.length } }

    /// The most missing combinations `missingMessage` lists.
    package static let listedMissingLimit = 20

    /// `2 fields not in the archive: date=20250101,param=167,step=6; ...` (at most
    /// `listedMissingLimit` listed, then `(and N more)`); nil when nothing is missing.
    package var missingMessage: String? {
        guard !missing.isEmpty else { return nil }
        let listed = missing.prefix(Self.listedMissingLimit).joined(separator: "; ")
        let more = missing.count > Self.listedMissingLimit ? " (and \(missing.count - Self.listedMissingLimit) more)" : ""
        let noun = missing.count == 1 ? "field" : "fields"
        return "\(missing.count) \(noun) not in the archive: \(listed)\(more)"
    }
}
