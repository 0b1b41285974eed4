import PolytopeCore

/// A time of day in whole minutes, written `HHMM`.
struct TimeOfDay: Hashable, Sendable {
    var minutes: Int

    init(minutes: Int) {
        self.minutes = minutes
    }

    /// `H`, `HH` (hours), `HMM`, `HHMM`, `H:MM`, `HH:MM` or `HH:MM:00`; hours 0–23, minutes 0–59.
    init?(_ text: String) {
        let text = text.trimmed
        var hours: Int?
        var minutes: Int?
        if text.contains(":") {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 || (parts.count == 3 && parts[2] == "00"), (1...2).contains(parts[0].count), parts[1].count == 2,
                parts[0].allSatisfy(\.isASCIIDigit), parts[1].allSatisfy(\.isASCIIDigit)
            else { return nil }
            hours = Int(parts[0])
            minutes = Int(parts[1])
        } else if text.allSatisfy(\.isASCIIDigit) {
            switch text.count {
            case 1, 2:
                hours = Int(text)
                minutes = 0
            case 3, 4:
                hours = Int(text.dropLast(2))
                minutes = Int(text.suffix(2))
            default:
                return nil
            }
        }
        guard let hours, let minutes, (0...23).contains(hours), (0...59).contains(minutes) else { return nil }
        self.minutes = hours * 60 + minutes
    }

    /// `HHMM`, as MARS writes times.
    var text: String { (minutes / 60).zeroPadded(2) + (minutes % 60).zeroPadded(2) }
}
