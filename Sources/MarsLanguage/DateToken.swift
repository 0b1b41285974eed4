import PolytopeCore

/// A date as users and configurations write it: absolute, or relative to today (`0`, `-1`).
enum DateToken: Hashable, Sendable {
    case absolute(CivilDay)
    case relative(days: Int)

    /// `YYYYMMDD`, `YYYY-MM-DD`, `0` or `-N` (N up to six digits); nil for anything else.
    init?(_ text: String) {
        let text = text.trimmed
        if text == "0" {
            self = .relative(days: 0)
        } else if text.hasPrefix("-"), text.count >= 2, text.count <= 7, text.dropFirst().allSatisfy(\.isASCIIDigit),
            let days = Int(text)
        {
            self = .relative(days: days)
        } else if let day = CivilDay(absolute: text) {
            self = .absolute(day)
        } else {
            return nil
        }
    }

    /// The day meant, given today; nil when it falls outside years 1 to 9999.
    func day(today: CivilDay) -> CivilDay? {
        switch self {
        case .absolute(let day): return day
        case .relative(let days):
            let day = CivilDay(dayNumber: today.dayNumber + days)
            return day.isWritable ? day : nil
        }
    }
}
