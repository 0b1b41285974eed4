import Foundation
import PolytopeCore

/// Turns a parsed request into a `NormalisedRequest`: keys in lower case, ranges expanded,
/// values coerced to one canonical form per kind (see `MarsValueKind`), duplicates refused.
///
/// Pure: the same document, settings and `now` always give the same result. Every problem of
/// a request is collected and thrown together as one `MarsRequestError`. Expansion is
/// counted before it is made, so a request cannot make the normaliser allocate more than
/// `MarsLanguageSettings.maximumValues` values.
package struct MarsRequestNormaliser: Sendable {
    package var settings: MarsLanguageSettings

    package init(settings: MarsLanguageSettings = .standard) {
        self.settings = settings
    }

    /// Normalises a document produced by `RequestTextParser`.
    ///
    /// - Parameters:
    ///   - verb: the verb, if the request has one (`retrieve`, `archive`; any case).
    ///   - now: the current time; relative dates (`0`, `-1`) count back from its UTC day.
    /// - Throws: `MarsRequestError` naming every key and value at fault.
    package func normalise(_ document: RequestDocument, verb: String? = nil, now: Date) throws(MarsRequestError) -> NormalisedRequest {
        try normalise(fields: document.fields, verb: verb, now: now)
    }

    /// Normalises fields given one by one (keys in any case); a key repeated with another case
    /// is a problem.
    package func normalise(fields: [RequestDocument.Field], verb: String? = nil, now: Date) throws(MarsRequestError) -> NormalisedRequest {
        var problems = MarsRequestError()
        var request = NormalisedRequest()
        if let verb {
            request.verb = Verb(rawValue: verb.trimmed.lowercased())
            if request.verb == nil {
                let known = Verb.allCases.map(\.rawValue).joined(separator: " or ")
                problems.append(.init(key: "verb", value: verb, reason: "is not a known verb (expected \(known))"))
            }
        }
        var seenKeys: Set<String> = []
        var budget = settings.maximumValues
        let today = CivilDay.containing(now)
        for field in fields {
            let key = field.key.trimmed.lowercased()
            guard seenKeys.insert(key).inserted else {
                problems.append(.init(key: key, reason: "is given more than once (keys do not depend on case)"))
                continue
            }
            switch field.value {
            case .nested(let json):
                if let kind = settings.kind(of: key), kind != .text {
                    problems.append(.init(key: key, reason: "expected \(kind.noun) or a list of them, found a structure"))
                } else {
                    request.structuredFields.append(.init(key: key, value: .nested(json)))
                }
            case .list(let words):
                if let values = normaliseValues(of: key, words, today: today, budget: &budget, problems: &problems) {
                    request.fields.append(.init(key: key, values: values))
                }
            }
        }
        guard problems.isEmpty else { throw problems }
        return request
    }

    /// The verb that starts MARS text (`retrieve, class=od, ...` → `retrieve`), which
    /// `RequestTextParser` does not keep; nil when the text starts with a key.
    package static func leadingVerb(ofMARSText text: String) -> String? {
        let first = text.trimmed.prefix { $0 != "," && $0 != "\n" && $0 != "\r" }.trimmed
        guard !first.isEmpty, first.count <= 32, first.allSatisfy({ $0.isLetter || $0 == "_" }) else { return nil }
        return first.lowercased()
    }

    // MARK: One key

    /// The canonical values of one key, or nil after recording its problems.
    private func normaliseValues(
        of key: String, _ words: [String], today: CivilDay, budget: inout Int, problems: inout MarsRequestError
    ) -> [String]? {
        let problemsBefore = problems.count
        guard !words.isEmpty else {
            problems.append(.init(key: key, reason: "has no value"))
            return nil
        }
        if let all = words.first(where: { $0.lowercased() == "all" }) {
            if !settings.allowsAll(for: key) {
                problems.append(.init(key: key, value: all, reason: "is not accepted for this key; list the values wanted"))
            } else if words.count > 1 {
                problems.append(.init(key: key, value: words.joined(separator: "/"), reason: "combines 'all' with other values"))
            } else {
                return take(["all"], key: key, budget: &budget, problems: &problems)
            }
            return nil
        }
        let kind = settings.kind(of: key) ?? .text
        let coercer = ValueCoercer(kind: kind, settings: settings, today: today)
        let (items, syntaxProblems) = ValueListItem.parse(words)
        for reason in syntaxProblems { problems.append(.init(key: key, reason: reason)) }
        var values: [String] = []
        for item in items {
            do throws(ValueRejection) {
                switch item {
                case .single(let word):
                    guard budget > 0 else { throw tooMany(item.text, count: 1, remaining: budget) }
                    values.append(try coercer.coerce(word))
                    budget -= 1
                case .range(let from, let to, let by):
                    let range = try coercer.range(from: from, to: to, by: by)
                    guard range.count <= budget else { throw tooMany(item.text, count: range.count, remaining: budget) }
                    values += range.values
                    budget -= range.count
                }
            } catch {
                problems.append(.init(key: key, value: error.value, reason: error.reason))
                if budget <= 0 { break }
            }
        }
        for duplicate in Self.duplicates(in: values) {
            problems.append(.init(key: key, value: duplicate, reason: "is asked for more than once (values are compared after normalisation)"))
        }
        return problems.count > problemsBefore ? nil : values
    }

    private func take(_ values: [String], key: String, budget: inout Int, problems: inout MarsRequestError) -> [String]? {
        guard values.count <= budget else {
            let rejection = tooMany(values.joined(separator: "/"), count: values.count, remaining: budget)
            problems.append(.init(key: key, value: rejection.value, reason: rejection.reason))
            return nil
        }
        budget -= values.count
        return values
    }

    /// `count` values asked for where only `remaining` of `settings.maximumValues` are left.
    private func tooMany(_ text: String, count: Int, remaining: Int) -> ValueRejection {
        let limit = settings.maximumValues
        let reason: String
        if count > limit {
            reason = "would give \(count) values, more than the \(limit) values a request may have in all; split the request"
        } else if count == 1 {
            reason = "is one value more than the \(limit) values a request may have in all; split the request"
        } else {
            reason = "would give \(count) values, but only \(remaining) of the \(limit) values a request may have in all are left; split the request"
        }
        return ValueRejection(value: text, reason: reason)
    }

    /// The values that occur more than once, each once, in order of first repetition.
    private static func duplicates(in values: [String]) -> [String] {
        var seen: Set<String> = []
        var reported: Set<String> = []
        var duplicates: [String] = []
        for value in values where !seen.insert(value).inserted && reported.insert(value).inserted {
            duplicates.append(value)
        }
        return duplicates
    }
}
