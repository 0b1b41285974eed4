import Foundation
import MarsLanguage
import PolytopeCore

/// What the metadata of an archive request allows: for each of its keys, the values a message
/// may have. A message matches when each of those keys that it has holds one of the values;
/// keys the message does not have, and keys given as `all`, allow anything.
struct MetadataExpectation: Sendable {
    private let allowed: [(key: String, values: Set<String>, text: String)]

    /// The expectation of `metadata`, normalised again as fields are (so metadata normalised
    /// with other settings, `param=2t` for example, still compares equal).
    /// - Throws: `GribArchiveError.unusableKeys` when the metadata is not a valid MARS request.
    init(_ metadata: NormalisedRequest, now: Date) throws(GribArchiveError) {
        let fields = metadata.fields.filter { $0.values.map { $0.lowercased() } != ["all"] }
        let normalised: NormalisedRequest
        do {
            normalised = try FieldKey.normaliser.normalise(fields: fields.map { .init(key: $0.key, value: .list($0.values)) }, now: now)
        } catch {
            throw GribArchiveError(.unusableKeys, "the metadata of the archive request is not valid: \(error.userMessage)")
        }
        allowed = normalised.fields.map { ($0.key, Set($0.values), $0.values.joined(separator: "/")) }
    }

    /// What in `field` the metadata does not allow, as `param=151 (the request says 167)`; empty
    /// when the field matches.
    func mismatches(_ field: FieldKey) -> [String] {
        allowed.compactMap { key, values, text in
            guard let value = field.values[key], !values.contains(value) else { return nil }
            return "\(key)=\(value) (the request says \(text))"
        }
    }
}
