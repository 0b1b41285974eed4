import Foundation
import PolytopeCore

/// A datasource's `match` rule for `date`, read as the reference server reads it.
///
/// Either comparative rules, all of which every date must satisfy:
/// - `>30d`: older than 30 days, `<2h`: newer than 2 hours; units `d` (days), `h` (hours) and
///   `m` (minutes, not months), combinable (`1d12h`). A date counts from 00:00 UTC of its day,
///   so `>30d` accepts today−30 and earlier, `<40d` accepts today−39 and later;
///
/// or MARS-style dates, one of which must cover each date: single days and lists
/// (`-1/-5/-10`, `20250125`), and ranges (`-1/to/-20`, `2024-01-01/to/2024-12-31`, no `by`).
/// Relative days count back from the UTC day of `now`. The two styles cannot be mixed.
///
/// Dates are checked one by one (after expansion), so a range the user asks for is accepted
/// when every one of its days is allowed, even if the days fall under different rules.
package struct DateRule: Sendable, Hashable {
    /// One comparative rule.
    package enum Comparison: Sendable, Hashable {
        /// `>N`: the day starts at least N before now.
        case olderThan(seconds: Int)
        /// `<N`: the day starts at most N before now.
        case newerThan(seconds: Int)
    }

    enum AllowedDates: Sendable, Hashable {
        case single(DateToken)
        case range(DateToken, DateToken)
    }

    /// The rules as configured.
    package let rules: [String]
    /// The comparative rules (empty for MARS-style rules).
    package let comparisons: [Comparison]
    let allowedDates: [AllowedDates]

    /// Reads one rule (`">30d"`, `"-1/to/-20"`).
    package init(_ rule: String) throws(DateRuleError) {
        try self.init([rule])
    }

    /// Reads the rules of one `date` match entry (a YAML list, or one string).
    /// - Throws: `DateRuleError` saying which rule is wrong and why.
    package init(_ rules: [String]) throws(DateRuleError) {
        let rules = rules.map(\.trimmed)
        guard !rules.isEmpty else { throw DateRuleError("a date rule needs at least one rule, such as '>30d' or '-1/to/-20'") }
        let comparative = rules.filter { $0.hasPrefix(">") || $0.hasPrefix("<") }
        guard comparative.isEmpty || comparative.count == rules.count else {
            throw DateRuleError("comparative date rules (such as '>30d') and dates (such as '-1/to/-20') cannot be mixed in one rule")
        }
        var comparisons: [Comparison] = []
        var allowedDates: [AllowedDates] = []
        for rule in rules {
            if comparative.isEmpty {
                allowedDates += try Self.allowedDates(in: rule)
            } else {
                comparisons.append(try Self.comparison(in: rule))
            }
        }
        self.rules = rules
        self.comparisons = comparisons
        self.allowedDates = allowedDates
    }

    /// Why `dates` are not served under this rule, or nil when all are.
    ///
    /// `dates` are as in a normalised request (`YYYYMMDD`); `YYYY-MM-DD` and relative days are
    /// understood too.
    package func check(_ dates: [String], now: Date) -> String? {
        let today = CivilDay.containing(now)
        let nowSeconds = Int(now.timeIntervalSince1970.rounded(.down))
        var reasons: [String] = []
        var days: [CivilDay] = []
        var unreadable: [String] = []
        for text in dates {
            if let day = DateToken(text)?.day(today: today) { days.append(day) } else { unreadable.append(text) }
        }
        if !unreadable.isEmpty {
            let (subject, verb) = Self.subject(unreadable.map { "'\($0)'" })
            reasons.append("\(subject) \(verb == "is" ? "is not a date" : "are not dates")")
        }
        for comparison in comparisons {
            switch comparison {
            case .olderThan(let seconds):
                let latest = CivilDay(dayNumber: floorDivide(nowSeconds - seconds, CivilDay.secondsPerDay))
                let refused = days.filter { $0 > latest }
                guard !refused.isEmpty else { continue }
                let (subject, verb) = Self.subject(refused.map(\.compactText))
                let duration = MarsDuration(seconds: seconds).spokenText
                reasons.append("\(subject) \(verb) too recent: only dates older than \(duration) (\(latest.compactText) or earlier) are served here")
            case .newerThan(let seconds):
                let earliest = CivilDay(dayNumber: -floorDivide(seconds - nowSeconds, CivilDay.secondsPerDay))
                let refused = days.filter { $0 < earliest }
                guard !refused.isEmpty else { continue }
                let (subject, verb) = Self.subject(refused.map(\.compactText))
                let duration = MarsDuration(seconds: seconds).spokenText
                reasons.append("\(subject) \(verb) too old: only dates newer than \(duration) (\(earliest.compactText) or later) are served here")
            }
        }
        if !allowedDates.isEmpty {
            let refused = days.filter { day in !allowedDates.contains { $0.covers(day, today: today) } }
            if !refused.isEmpty {
                let (subject, verb) = Self.subject(refused.map(\.compactText))
                let allowed = allowedDates.map { $0.description(today: today) }.joined(separator: ", ")
                reasons.append("\(subject) \(verb) not among the dates served here (\(allowed))")
            }
        }
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }

    // MARK: Reading rules

    private static func comparison(in rule: String) throws(DateRuleError) -> Comparison {
        let amount = rule.dropFirst().trimmed.lowercased()
        var seconds = 0
        var digits = ""
        for character in amount {
            if character.isASCIIDigit {
                digits.append(character)
                continue
            }
            let unit: Int? = ["d": 86_400, "h": 3600, "m": 60][character]
            guard let unit, !digits.isEmpty, digits.count <= 7, let count = Int(digits) else {
                throw DateRuleError("'\(rule)' is not a comparative date rule (expected > or < and an age such as 30d, 12h, 90m or 1d12h)")
            }
            seconds += count * unit
            digits = ""
        }
        guard digits.isEmpty, !amount.isEmpty else {
            throw DateRuleError("'\(rule)' is not a comparative date rule (expected > or < and an age such as 30d, 12h, 90m or 1d12h)")
        }
        return rule.hasPrefix(">") ? .olderThan(seconds: seconds) : .newerThan(seconds: seconds)
    }

    private static func allowedDates(in rule: String) throws(DateRuleError) -> [AllowedDates] {
        let parts = rule.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmed.lowercased() }
        func token(_ text: String) throws(DateRuleError) -> DateToken {
            guard let token = DateToken(text) else {
                throw DateRuleError(
                    "'\(text)' in the date rule '\(rule)' is not a date (expected YYYYMMDD, YYYY-MM-DD or a relative day such as -1)"
                )
            }
            return token
        }
        if parts.count >= 2, parts[1] == "to" {
            guard parts.count == 3 else {
                let what = parts.contains("by") ? "'by' is not possible in date rules" : "a range is written start/to/end"
                throw DateRuleError("the date rule '\(rule)' is not valid: \(what)")
            }
            return [.range(try token(parts[0]), try token(parts[2]))]
        }
        var allowed: [AllowedDates] = []
        for part in parts { allowed.append(.single(try token(part))) }
        return allowed
    }

    /// `date 20250101 is` / `dates 20250101, 20250102 and 3 more are`.
    private static func subject(_ dates: [String]) -> (String, String) {
        guard dates.count > 1 else { return ("date \(dates.first ?? "")", "is") }
        let shown = dates.prefix(5).joined(separator: ", ")
        let more = dates.count > 5 ? " and \(dates.count - 5) more" : ""
        return ("dates \(shown)\(more)", "are")
    }
}

extension DateRule.AllowedDates {
    func covers(_ day: CivilDay, today: CivilDay) -> Bool {
        switch self {
        case .single(let token): return token.day(today: today) == day
        case .range(let first, let second):
            guard let first = first.day(today: today), let second = second.day(today: today) else { return false }
            return min(first, second) <= day && day <= max(first, second)
        }
    }

    /// The dates covered, as days: `20250512 to 20250531`, `20250125`.
    func description(today: CivilDay) -> String {
        switch self {
        case .single(let token): return token.day(today: today)?.compactText ?? "?"
        case .range(let first, let second):
            guard let first = first.day(today: today), let second = second.day(today: today) else { return "?" }
            return "\(min(first, second).compactText) to \(max(first, second).compactText)"
        }
    }
}

/// A date rule in the configuration that cannot be read; `message` says which and why.
package struct DateRuleError: Error, Sendable, Hashable, CustomStringConvertible {
    package var message: String

    package init(_ message: String) {
        self.message = message
    }

    package var description: String { message }
}
