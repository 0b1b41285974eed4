/// How the values of one request key are read, checked and written in the normalised request.
///
/// The raw values are the names used in configuration (`date`, `time`, `step`, `integer`,
/// `level`, `expver`, `param`, `lowercase`, `text`).
package enum MarsValueKind: String, Sendable, Hashable, CaseIterable {
    /// Dates `YYYYMMDD`, `YYYY-MM-DD` or relative days (`0` today, `-1` yesterday, in UTC),
    /// written `YYYYMMDD`. Ranges count in days (`by` defaults to 1).
    case date
    /// Times of day `0`, `6`, `12`, `1200`, `12:00`, written `HHMM`. Ranges count in hours
    /// (`by` defaults to 6, as in MARS); `by` may also be a duration such as `30m`.
    case time
    /// Forecast steps `6`, `6h`, `30m`, `1h30m`, `2d` and periods `0-24`, written as MARS
    /// writes them: whole hours without a unit (`6`, `48`), otherwise with units (`1h30m`,
    /// `30m`). Ranges count in hours (`by` defaults to 12, as in MARS).
    case step
    /// Whole numbers 0, 1, 2, … (ensemble members), written without leading zeros. Ranges
    /// count by 1.
    case integer
    /// Levels such as `850` or `0.5`, written without leading zeros. Ranges count by 1.
    case level
    /// Experiment versions: up to 4 letters or digits, padded with zeros to 4 (`1` → `0001`).
    case experimentVersion = "expver"
    /// Parameters by short name or id (`2t`, `167`, `167.128`), written as the configured
    /// `ParameterForm`.
    case parameter = "param"
    /// Words whose case does not matter (`class`, `stream`, `type`), written in lower case.
    case lowercase
    /// Any word, kept as written.
    case text

    /// Whether `a/to/b[/by/c]` is understood for this kind.
    var allowsRanges: Bool {
        switch self {
        case .date, .time, .step, .integer, .level: return true
        case .experimentVersion, .parameter, .lowercase, .text: return false
        }
    }

    /// What a value of this kind is, for messages: `is not <noun>`.
    var noun: String {
        switch self {
        case .date: return "a date"
        case .time: return "a time"
        case .step: return "a step"
        case .integer: return "a whole number"
        case .level: return "a level"
        case .experimentVersion: return "an experiment version"
        case .parameter: return "a known parameter"
        case .lowercase, .text: return "a value"
        }
    }

    /// The forms accepted, for messages.
    var expectation: String {
        switch self {
        case .date: return "expected YYYYMMDD, YYYY-MM-DD or a relative day such as 0 for today or -1 for yesterday"
        case .time: return "expected HHMM, HH:MM or whole hours such as 0, 6 or 12"
        case .step: return "expected hours such as 6, a duration such as 6h, 30m or 1h30m, or a period such as 0-24"
        case .integer: return "expected a whole number such as 0, 1 or 50"
        case .level: return "expected a number such as 850 or 0.5"
        case .experimentVersion: return "expected up to 4 letters or digits, such as 1, 0001 or hxyz"
        case .parameter: return "expected a short name such as 2t or msl, or an id such as 167"
        case .lowercase, .text: return "expected a word"
        }
    }

    /// The forms accepted for `by`, for messages.
    var incrementExpectation: String {
        switch self {
        case .date: return "expected a whole number of days such as 1 or 7"
        case .time: return "expected hours such as 6, or a duration such as 30m"
        case .step: return "expected hours such as 6, or a duration such as 6h or 30m"
        case .integer: return "expected a whole number such as 2"
        case .level: return "expected a number such as 50 or 0.5"
        case .experimentVersion, .parameter, .lowercase, .text: return "ranges are not possible"
        }
    }
}
