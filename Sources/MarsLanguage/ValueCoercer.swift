import PolytopeCore

/// Reads and writes the values of one kind: single values to canonical text, ranges to
/// progressions.
struct ValueCoercer: Sendable {
    let kind: MarsValueKind
    let settings: MarsLanguageSettings
    let today: CivilDay

    /// The canonical text of `word`.
    func coerce(_ word: String) throws(ValueRejection) -> String {
        let notValid = ValueRejection(value: word, reason: "is not \(kind.noun) (\(kind.expectation))")
        switch kind {
        case .date:
            guard let token = DateToken(word) else { throw notValid }
            guard let day = token.day(today: today) else {
                throw ValueRejection(value: word, reason: "is too far from today to be a date (years 1 to 9999 only)")
            }
            return day.compactText
        case .time:
            guard let time = TimeOfDay(word) else { throw notValid }
            return time.text
        case .step:
            return try coerceStep(word, notValid: notValid)
        case .integer:
            guard let number = Self.wholeNumber(word) else { throw notValid }
            return String(number)
        case .level:
            guard let level = FixedPointNumber(word) else { throw notValid }
            return level.text
        case .experimentVersion:
            return try coerceExperimentVersion(word, notValid: notValid)
        case .parameter:
            return try coerceParameter(word, notValid: notValid)
        case .lowercase:
            return word.lowercased()
        case .text:
            return word
        }
    }

    /// The progression `from/to/to/by/by`; `by` defaults as in MARS (1 day, 6 hours, 12 hours, 1).
    func range(from: String, to: String, by: String?) throws(ValueRejection) -> ValueRange {
        let text = ValueListItem.range(from: from, to: to, by: by).text
        let badIncrement = { (value: String) in ValueRejection(value: value, reason: "is not a valid increment ('by') (\(kind.incrementExpectation))")
        }
        switch kind {
        case .date:
            let start = try day(from)
            let end = try day(to)
            guard let increment = Int(by ?? "1"), (by ?? "1").count <= 7 else { throw badIncrement(by ?? "") }
            return try Self.progression(start.dayNumber, end.dayNumber, increment, text: text) { CivilDay(dayNumber: $0).compactText }
        case .time:
            guard let start = TimeOfDay(from) else { throw notValid(from) }
            guard let end = TimeOfDay(to) else { throw notValid(to) }
            guard let increment = MarsDuration(by ?? "6", allowsNegative: true), increment.seconds % 60 == 0 else {
                throw badIncrement(by ?? "")
            }
            return try Self.progression(start.minutes, end.minutes, increment.seconds / 60, text: text) { TimeOfDay(minutes: $0).text }
        case .step:
            let start = try stepPoint(from)
            let end = try stepPoint(to)
            guard let increment = MarsDuration(by ?? "12", allowsNegative: true) else { throw badIncrement(by ?? "") }
            return try Self.progression(start, end, increment.seconds, text: text) { MarsDuration(seconds: $0).stepText }
        case .integer:
            guard let start = Self.wholeNumber(from) else { throw notValid(from) }
            guard let end = Self.wholeNumber(to) else { throw notValid(to) }
            guard let increment = Int(by ?? "1"), (by ?? "1").count <= 12 else { throw badIncrement(by ?? "") }
            return try Self.progression(start, end, increment, text: text) { String($0) }
        case .level:
            guard let start = FixedPointNumber(from) else { throw notValid(from) }
            guard let end = FixedPointNumber(to) else { throw notValid(to) }
            guard let increment = FixedPointNumber(by ?? "1", allowsNegative: true) else { throw badIncrement(by ?? "") }
            let digits = max(start.fractionDigits, end.fractionDigits, increment.fractionDigits)
            return try Self.progression(
                start.units(atFractionDigits: digits), end.units(atFractionDigits: digits), increment.units(atFractionDigits: digits),
                text: text
            ) { FixedPointNumber(units: $0, fractionDigits: digits).text }
        case .experimentVersion, .parameter, .lowercase, .text:
            throw ValueRejection(
                value: text, reason: "is a range, and ranges with 'to' are only possible for dates, times, steps, numbers and levels")
        }
    }

    // MARK: Kinds

    private func notValid(_ word: String) -> ValueRejection {
        ValueRejection(value: word, reason: "is not \(kind.noun) (\(kind.expectation))")
    }

    private func day(_ word: String) throws(ValueRejection) -> CivilDay {
        guard let token = DateToken(word) else { throw notValid(word) }
        guard let day = token.day(today: today) else {
            throw ValueRejection(value: word, reason: "is too far from today to be a date (years 1 to 9999 only)")
        }
        return day
    }

    private func coerceStep(_ word: String, notValid: ValueRejection) throws(ValueRejection) -> String {
        let parts = word.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            guard let step = MarsDuration(word) else { throw notValid }
            return step.stepText
        }
        guard let start = MarsDuration(String(parts[0])), let end = MarsDuration(String(parts[1])) else { throw notValid }
        guard start.seconds <= end.seconds else {
            throw ValueRejection(value: word, reason: "is not a step (a period such as 0-24 must not end before it starts)")
        }
        return start.stepText + "-" + end.stepText
    }

    private func stepPoint(_ word: String) throws(ValueRejection) -> Int {
        guard let step = MarsDuration(word) else {
            if word.dropFirst().contains("-") {
                throw ValueRejection(value: word, reason: "is a period; a range with 'to' must start and end at single steps")
            }
            throw notValid(word)
        }
        return step.seconds
    }

    private func coerceExperimentVersion(_ word: String, notValid: ValueRejection) throws(ValueRejection) -> String {
        var text = Substring(word.trimmed.lowercased())
        if text.allSatisfy(\.isASCIIDigit) {
            text = text.drop { $0 == "0" }
        }
        guard !word.trimmed.isEmpty, text.count <= 4, text.allSatisfy({ $0.isASCIIDigit || ("a"..."z").contains($0) }) else { throw notValid }
        return String(repeating: "0", count: 4 - text.count) + text
    }

    private func coerceParameter(_ word: String, notValid: ValueRejection) throws(ValueRejection) -> String {
        let table = settings.parameters
        guard let id = table.resolve(word) else {
            let name = word.trimmed.lowercased()
            let isName = !name.isEmpty && name.count <= 32 && name.allSatisfy { $0.isLetter || $0.isNumber || "_-.".contains($0) }
            if settings.acceptsUnknownParameterNames, isName, !name.allSatisfy({ $0.isASCIIDigit || $0 == "." }) {
                return name
            }
            throw notValid
        }
        switch settings.parameterForm {
        case .id: return String(id)
        case .shortName: return table.shortName(of: id) ?? String(id)
        }
    }

    // MARK: Shared rules

    /// Digits only (leading zeros allowed), at most 12 significant digits.
    static func wholeNumber(_ word: String) -> Int? {
        guard !word.isEmpty, word.allSatisfy(\.isASCIIDigit) else { return nil }
        let significant = word.drop { $0 == "0" }
        guard significant.count <= 12 else { return nil }
        return Int(significant.isEmpty ? "0" : String(significant))
    }

    /// From `start` towards `end` in steps of `|increment|`, as MARS counts: a negative
    /// increment only going down, zero never; `end` is included when the steps land on it.
    static func progression(
        _ start: Int, _ end: Int, _ increment: Int, text: String, write: @escaping @Sendable (Int) -> String
    ) throws(ValueRejection) -> ValueRange {
        guard increment != 0 else {
            throw ValueRejection(value: text, reason: "has an increment ('by') of zero")
        }
        guard start >= end || increment > 0 else {
            throw ValueRejection(value: text, reason: "cannot count up with a negative increment ('by')")
        }
        let step = start <= end ? abs(increment) : -abs(increment)
        return ValueRange(start: start, increment: step, count: abs(end - start) / abs(increment) + 1, write: write)
    }
}
