import PolytopeCore

/// Dates, times and steps of MARS fields, turned into the ISO 8601 instants covjsonkit writes
/// (`2025-01-01T12:00:00Z`): a field's forecast reference time (date + time) and its valid
/// time (plus step). Pure calendar arithmetic, proleptic Gregorian, UTC.
package struct MarsTime: Hashable, Comparable, Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    package var seconds: Int

    package static func < (lhs: MarsTime, rhs: MarsTime) -> Bool { lhs.seconds < rhs.seconds }

    /// The reference time of a field from its `date` (`20250101` or `2025-01-01`) and `time`
    /// (`1200`, `12:00`, `12`, `120000`; absent means 00:00); nil when unreadable.
    package init?(date: String, time: String?) {
        guard let day = CivilDay(absolute: date), let secondOfDay = Self.secondOfDay(time ?? "0") else { return nil }
        seconds = day.midnightSeconds + secondOfDay
    }

    init(seconds: Int) {
        self.seconds = seconds
    }

    /// This time plus a step, or nil when the step is unreadable.
    package func adding(step: String) -> MarsTime? {
        guard let stepSeconds = Self.stepSeconds(step) else { return nil }
        return MarsTime(seconds: seconds + stepSeconds)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    package var isoText: String {
        let day = CivilDay(dayNumber: floorDivide(seconds, CivilDay.secondsPerDay))
        let secondOfDay = seconds - day.midnightSeconds
        let (year, month, dayOfMonth) = day.components
        return "\(year.zeroPadded(4))-\(month.zeroPadded(2))-\(dayOfMonth.zeroPadded(2))T\((secondOfDay / 3600).zeroPadded(2)):"
            + "\((secondOfDay / 60 % 60).zeroPadded(2)):\((secondOfDay % 60).zeroPadded(2))Z"
    }

    /// A step's length in seconds: plain hours (`6`), or with units (`30m`, `1h30m`, `90s`).
    static func stepSeconds(_ step: String) -> Int? {
        if let hours = Int(step) { return hours * 3600 }
        var total = 0
        var number = ""
        var sawUnit = false
        for character in step {
            if character.isNumber {
                number.append(character)
                continue
            }
            guard let value = Int(number) else { return nil }
            switch character {
            case "d": total += value * 86400
            case "h": total += value * 3600
            case "m": total += value * 60
            case "s": total += value
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return total
    }

    /// A step as covjsonkit's `normalize_step_value` writes it: whole hours as an integer,
    /// otherwise `XhYm` / `Ym`.
    package static func normalisedStep(_ step: String) -> MarsScalar {
        guard let seconds = stepSeconds(step) else { return .text(step) }
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        if minutes == 0 { return .integer(hours) }
        return .text(hours > 0 ? "\(hours)h\(minutes)m" : "\(minutes)m")
    }

    private static func secondOfDay(_ time: String) -> Int? {
        let digits = time.filter { $0 != ":" }
        guard !digits.isEmpty, digits.count <= 6, let number = Int(digits) else { return nil }
        let (hours, minutes, seconds): (Int, Int, Int)
        switch digits.count {
        case 1, 2: (hours, minutes, seconds) = (number, 0, 0)
        case 3, 4: (hours, minutes, seconds) = (number / 100, number % 100, 0)
        default: (hours, minutes, seconds) = (number / 10000, number / 100 % 100, number % 100)
        }
        guard hours < 24, minutes < 60, seconds < 60 else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }
}
