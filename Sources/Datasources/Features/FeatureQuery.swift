import FeatureExtraction
import Foundation
import GribArchive
import MarsLanguage
import PolytopeCore

/// A feature request taken apart: the MARS request that selects the fields (without
/// `feature` and `format`, and without the keys the feature spans) and the parsed feature.
///
/// Built by `FeatureQuery.prepare`, which finds every problem of the request at once, for
/// one 400 naming them all.
struct FeatureQuery: Sendable {
    /// The request the archive plans, keys the feature spans left out (they match every
    /// archived value and are filtered with `spans`).
    var request: NormalisedRequest
    var specification: FeatureSpecification
    /// Keys whose archived values the feature restricts (`step` for a timeseries `range`).
    var spans: [String: ValueSpan]

    /// The pieces a `FeaturesDatasource` prepares a request with.
    struct Settings: Sendable {
        var normaliser: MarsRequestNormaliser
        var limits: FeatureLimits
        var requiredKeys: [String]
        var maxFields: Int
    }

    /// The query of `document`, or every problem found, joined for the user.
    static func prepare(_ document: RequestDocument, settings: Settings, now: Date) -> Result<FeatureQuery, PolytopeError> {
        var problems: [String] = []
        var marsFields = document
        marsFields["feature"] = nil
        marsFields["format"] = nil
        if let format = document["format"] {
            if format.words.map({ $0.map { $0.lowercased() } }) != ["covjson"] {
                problems.append("format: '\(format.displayText)' is not a format this datasource writes (only 'covjson')")
            }
        }
        var feature: JSONValue?
        switch document["feature"] {
        case .nested(let json): feature = json
        case .list(let words):
            problems.append(
                "feature: expected an object such as {\"type\": \"timeseries\", ...}, found '\(words.joined(separator: "/"))'")
        case nil:
            problems.append("feature: this datasource answers feature requests only; the request has no 'feature' block")
        }
        var normalised: NormalisedRequest?
        do {
            normalised = try settings.normaliser.normalise(marsFields, now: now)
        } catch {
            problems.append(error.userMessage)
        }
        var specification: FeatureSpecification?
        if let feature {
            let keys = Dictionary((normalised?.fields ?? []).map { ($0.key, $0.values) }, uniquingKeysWith: { first, _ in first })
            do {
                specification = try FeatureParser.parse(feature, context: FeatureRequestContext(keys: keys), limits: settings.limits)
            } catch {
                problems.append(error.userMessage)
            }
        }
        guard let normalised, let specification, problems.isEmpty else {
            return .failure(.invalidRequest(problems.joined(separator: "; ")))
        }
        var spans: [String: ValueSpan] = [:]
        if let span = specification.stepSpan { spans["step"] = span }
        if let span = specification.levelSpan { spans["levelist"] = span }
        if let span = specification.dateSpan { spans["date"] = span }
        let absent = settings.requiredKeys.filter { normalised[$0] == nil && spans[$0] == nil }
        if !absent.isEmpty {
            problems.append(
                PolytopeError.missingKeys(absent, because: "this archive needs \(settings.requiredKeys.joined(separator: ", ")) in every request")
                    .message)
        }
        var count = 1
        for field in normalised.fields where MarsLanguageSettings.standardKinds[field.key] != nil {
            let (product, overflow) = count.multipliedReportingOverflow(by: field.values.count)
            count = overflow ? Int.max : product
        }
        if count > settings.maxFields {
            problems.append("the request asks for more than \(settings.maxFields) fields, the most one request may use; split the request")
        }
        guard problems.isEmpty else { return .failure(.invalidRequest(problems.joined(separator: "; "))) }
        return .success(FeatureQuery(request: normalised, specification: specification, spans: spans))
    }

    /// The filter the archive plans with, so that `max-fields` counts the fields the feature
    /// uses (those `restrict` keeps), not every archived value of a spanned key; nil without
    /// spans.
    var archiveFilter: (@Sendable (ArchivedField) -> Bool)? {
        guard !spans.isEmpty else { return nil }
        let spans = Self.comparable(spans)
        return { field in
            let keys = ArchivedFieldKeys(field).keys
            return spans.allSatisfy { key, span in Self.spannedValue(of: keys, key: key, in: span) != nil }
        }
    }

    /// The archived fields the feature uses: those whose values of the spanned keys lie in
    /// the spans, and the spans' values with an interval that no field has (as `step=30`).
    func restrict(_ fields: [ArchivedFieldKeys]) -> (fields: [ArchivedFieldKeys], missing: [String]) {
        guard !spans.isEmpty else { return (fields, []) }
        // Values compared to a millionth, as sets: a span may name up to `maximumSpanValues`.
        let rounded = { (value: Double) in (value * 1e6).rounded() }
        var found: [String: Set<Double>] = [:]
        let spans = Self.comparable(spans)
        let kept = fields.filter { field in
            for (key, span) in spans {
                guard let value = Self.spannedValue(of: field.keys, key: key, in: span) else { return false }
                found[key, default: []].insert(rounded(value))
            }
            return true
        }
        var missing: [String] = []
        for (key, span) in spans.sorted(by: { $0.key < $1.key }) where key != "date" {
            guard let interval = span.interval, interval > 0 else { continue }
            // Counted in Double: a span of 1e19 steps must not overflow Int.
            let count = Int(min(((span.end - span.start) / interval + 1e-9).rounded(.down) + 1, Double(Self.maximumSpanValues)))
            for index in 0..<max(count, 0) {
                let value = span.start + Double(index) * interval
                if found[key]?.contains(rounded(value)) != true { missing.append("\(key)=\(GeoPoint.shortText(value))") }
            }
        }
        return (kept, missing)
    }

    /// The most values of a span's interval that are checked for missing fields.
    static let maximumSpanValues = 100_000

    /// `spans` as `restrict` compares them: a date span's ends as day numbers, so that its
    /// interval counts days (as MARS `by` does), not YYYYMMDD numbers.
    private static func comparable(_ spans: [String: ValueSpan]) -> [String: ValueSpan] {
        var comparable = spans
        if var dates = spans["date"], let start = dayNumber(dates.start), let end = dayNumber(dates.end) {
            (dates.start, dates.end) = (start, end)
            comparable["date"] = dates
        }
        return comparable
    }

    /// A field's value of a spanned key as compared, when it lies in `span` (as `comparable`
    /// gives it); nil otherwise.
    private static func spannedValue(of keys: [String: String], key: String, in span: ValueSpan) -> Double? {
        guard let text = keys[key], let value = comparable(text, key: key), span.contains(value) else { return nil }
        return value
    }

    /// An archived value as `restrict` compares it: dates as day numbers, others as `number`.
    private static func comparable(_ text: String, key: String) -> Double? {
        key == "date" ? CivilDay(absolute: text).map { Double($0.dayNumber) } : number(text, key: key)
    }

    /// The day number of a YYYYMMDD date given as a number; nil if it is none.
    private static func dayNumber(_ yyyymmdd: Double) -> Double? {
        guard yyyymmdd.isFinite, yyyymmdd == yyyymmdd.rounded(), (10_000_101.0...99_991_231.0).contains(yyyymmdd) else { return nil }
        return CivilDay(absolute: String(Int(yyyymmdd))).map { Double($0.dayNumber) }
    }

    /// A key's value as a number: steps in hours (`90m` is 1.5), levels and dates as written.
    static func number(_ text: String, key: String) -> Double? {
        if key == "step", text.hasSuffix("m"), let minutes = Double(text.dropLast()) { return minutes / 60 }
        return Double(text)
    }
}

/// An archived field with its MARS keys as a dictionary (parsed from its canonical key).
struct ArchivedFieldKeys: Sendable {
    var field: ArchivedField
    var keys: [String: String]

    init(_ field: ArchivedField) {
        self.field = field
        var keys: [String: String] = [:]
        // Byte-wise: keys and values are words without ',' or '=' (FieldKey), and this runs
        // for every field of a request.
        for pair in field.key.utf8.split(separator: UInt8(ascii: ",")) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            keys[String(decoding: pair[..<equals], as: UTF8.self)] = String(decoding: pair[pair.index(after: equals)...], as: UTF8.self)
        }
        self.keys = keys
    }
}
