import Foundation
import MarsLanguage
import PolytopeConfig
import PolytopeCore

/// The MARS request language for a collection (`language: mars`): requests are normalised
/// by `MarsRequestNormaliser` before matching, so `date: -1`, `time: 12` and `param: 2t` match
/// rules written as `20250101`, `1200` and `167`.
package struct MarsRequestLanguage: RequestLanguage {
    package let normaliser: MarsRequestNormaliser

    package init(settings: MarsLanguageSettings = .standard) {
        normaliser = MarsRequestNormaliser(settings: settings)
    }

    package func normalise(_ document: RequestDocument, verb: Verb, now: Date) throws -> RequestDocument {
        do {
            return try normaliser.normalise(document, verb: verb.rawValue, now: now).document
        } catch {
            throw error.polytopeError
        }
    }

    /// The settings of a `language` entry: `mars`, or a mapping such as
    /// `{type: mars, allow-all: [number], max-values: 10000, param-names: short-name,
    /// kinds: {mykey: date}}`. Nil when the entry is absent (requests are kept as sent).
    static func read(_ collection: ConfigReader) -> MarsRequestLanguage? {
        guard let node = collection.value("language") else { return nil }
        if let name = ConfigReader.strings(of: node, splitOnSlash: false), name.count == 1, case .scalar = node.value {
            guard name[0] == "mars" else {
                collection.report("the only request language is 'mars', found '\(name[0])'", key: "language")
                return nil
            }
            return MarsRequestLanguage()
        }
        guard let section = collection.section("language") else {
            collection.report("expected 'mars' or a mapping with 'type: mars', found \(node.typeDescription)", key: "language")
            return nil
        }
        guard section.string("type") == "mars" else {
            section.report("expected 'type: mars'", key: "type")
            return nil
        }
        var settings = MarsLanguageSettings.standard
        for key in section.strings("allow-all") ?? [] { settings.setAllowsAll(true, for: key) }
        settings.maximumValues = section.int("max-values", default: settings.maximumValues, range: 1...10_000_000)
        settings.parameterForm = section.choice("param-names", ["id": .id, "short-name": .shortName], default: .id)
        for (key, value) in section.section("kinds")?.entries() ?? [] {
            guard let name = value.scalarText, let kind = MarsValueKind(rawValue: name) else {
                value.report("expected one of \(MarsValueKind.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            settings.setKind(kind, for: key)
        }
        return MarsRequestLanguage(settings: settings)
    }

    /// A `match` entry in this language: for date keys a `DateRule` (`>30d`, `-1/to/-20`),
    /// otherwise the allowed values written as requests will be.
    func matchCondition(key: String, entry: ConfigReader) -> (rule: MatchRule?, check: ValueCheck?) {
        if normaliser.settings.kind(of: key) == .date {
            guard let rules = ConfigReader.strings(of: entry.node, splitOnSlash: false) else {
                entry.report("expected a date rule such as '>30d' or '-1/to/-20', or a list of them")
                return (nil, nil)
            }
            do {
                let rule = try DateRule(rules)
                return (nil, ValueCheck(key: key, summary: rules.joined(separator: ", ")) { dates, now in rule.check(dates, now: now) })
            } catch {
                entry.report(error.message)
                return (nil, nil)
            }
        }
        guard let allowed = ConfigReader.strings(of: entry.node, splitOnSlash: true) else {
            entry.report("expected a value, a list of values or 'a/b/c', found \(entry.node.typeDescription)")
            return (nil, nil)
        }
        if allowed.isEmpty { return (MatchRule(key: key, allowed: []), nil) }  // `key: []`: the key must be absent
        do {
            let normalised = try normaliser.normalise(fields: [.init(key: key, value: .list(allowed))], now: Date())
            return (MatchRule(key: key, allowed: normalised[key] ?? allowed), nil)
        } catch {
            entry.report(error.userMessage)
            return (nil, nil)
        }
    }
}
