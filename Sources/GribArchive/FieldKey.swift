import Foundation
import MarsLanguage
import PolytopeCore

/// The identity of one field: its MARS keys with values written as `MarsRequestNormaliser`
/// writes request values (dates `YYYYMMDD`, times `HHMM`, `param` as its numeric id, `expver`
/// in 4 characters, steps as MARS writes them), so that archived fields and requests compare
/// equal.
///
/// Keys are lower case; values are single words without `,`, `=`, spaces or control
/// characters, so `canonical` is unambiguous.
package struct FieldKey: Sendable, Hashable, CustomStringConvertible {
    /// The value of each key.
    package let values: [String: String]

    /// The keys in canonical (alphabetical) order.
    package let keys: [String]

    /// A key from values already normalised.
    /// - Throws: `GribArchiveError.unusableKeys` for an empty key set, or a key or value that
    ///   cannot be written in the canonical form.
    package init(values: [String: String]) throws(GribArchiveError) {
        guard !values.isEmpty else { throw GribArchiveError(.unusableKeys, "a field needs at least one MARS key") }
        for (key, value) in values {
            guard Self.isWord(key), Self.isWord(value) else {
                throw GribArchiveError(.unusableKeys, "\(key)='\(value)' cannot be indexed (keys and values must be words without ',' or '=')")
            }
        }
        self.values = values
        self.keys = values.keys.sorted()
    }

    /// `class=od,date=20250101,...,time=1200`: the keys in canonical order with their values.
    package var canonical: String { keys.map { "\($0)=\(values[$0]!)" }.joined(separator: ",") }

    /// `class,date,...,time`: which keys the field has, in canonical order.
    package var schema: String { keys.joined(separator: ",") }

    package var description: String { canonical }

    /// The settings fields are normalised with: the standard MARS kinds, parameters as ids.
    package static let normaliser = MarsRequestNormaliser(settings: .standard)

    /// The key of `message`, its MARS keys normalised.
    /// - Throws: `GribArchiveError.unusableKeys` naming the message and every key at fault.
    package static func normalising(_ message: GribMessage) throws(GribArchiveError) -> FieldKey {
        let fields = message.marsKeys.sorted { $0.key < $1.key }.map { RequestDocument.Field(key: $0.key, value: .list([$0.value])) }
        let normalised: NormalisedRequest
        do {
            normalised = try normaliser.normalise(fields: fields, now: Date(timeIntervalSince1970: 0))
        } catch {
            throw GribArchiveError(.unusableKeys, "\(message.position) has MARS keys that cannot be used: \(error.userMessage)")
        }
        var values: [String: String] = [:]
        for field in normalised.fields {
            values[field.key] = field.values.first
        }
        do {
            return try FieldKey(values: values)
        } catch {
            throw GribArchiveError(.unusableKeys, "\(message.position): \(error.message)")
        }
    }

    /// Letters, digits and punctuation other than `,` and `=`; no spaces or control characters.
    static func isWord(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 256
            && text.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.value >= 0x21 && $0 != "," && $0 != "=" && $0.value != 0x7F }
    }
}
