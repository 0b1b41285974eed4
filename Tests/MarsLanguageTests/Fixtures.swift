import Foundation
import MarsLanguage
import PolytopeCore

/// 2025-06-01 10:30 UTC: the "now" of every test.
let fixedNow = Date(timeIntervalSince1970: 1_748_773_800)

/// `YYYYMMDD` of the UTC day `offset` days from `fixedNow`, computed with Foundation's calendar
/// (independently of the module's own arithmetic).
func day(_ offset: Int, from now: Date = fixedNow) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let date = calendar.date(byAdding: .day, value: offset, to: now)!
    let parts = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
}

/// The request text parsed and normalised.
func normalise(_ text: String, settings: MarsLanguageSettings = .standard, verb: String? = nil) throws -> NormalisedRequest {
    try MarsRequestNormaliser(settings: settings).normalise(RequestTextParser().parse(text), verb: verb, now: fixedNow)
}

/// The values of `key` after normalising `text`.
func values(_ text: String, _ key: String, settings: MarsLanguageSettings = .standard) throws -> [String]? {
    try normalise(text, settings: settings)[key]
}

/// The message of the error normalising `text` gives; nil if it succeeds.
func problems(_ text: String, settings: MarsLanguageSettings = .standard, verb: String? = nil) throws -> String? {
    let document = try RequestTextParser().parse(text)
    do {
        _ = try MarsRequestNormaliser(settings: settings).normalise(document, verb: verb, now: fixedNow)
        return nil
    } catch {
        return error.userMessage
    }
}
