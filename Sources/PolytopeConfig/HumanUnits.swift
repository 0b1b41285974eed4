import Foundation

/// Parses durations written for humans: `500ms`, `90s`, `15m`, `24h`, `2d`, combinations such
/// as `1d2h30m`, and bare numbers of seconds.
package enum HumanDuration {
    /// The longest duration read (100 years): longer ones are refused rather than left to
    /// overflow the timers and dates they end up in.
    package static let maximumMilliseconds: Double = 100 * 365.25 * 86_400_000

    package static func parse(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let seconds = Double(text), seconds >= 0, seconds.isFinite {
            guard seconds * 1000 <= maximumMilliseconds else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        var totalMilliseconds: Double = 0
        var total = Duration.zero
        var number = ""
        var unit = ""
        var parts = 0
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let milliseconds: Double
            switch unit {
            case "ms": milliseconds = value
            case "s": milliseconds = value * 1000
            case "m": milliseconds = value * 60_000
            case "h": milliseconds = value * 3_600_000
            case "d": milliseconds = value * 86_400_000
            case "w": milliseconds = value * 604_800_000
            default: return false
            }
            totalMilliseconds += milliseconds
            guard totalMilliseconds <= maximumMilliseconds else { return false }
            total += .milliseconds(Int64(milliseconds.rounded()))
            number = ""
            unit = ""
            parts += 1
            return true
        }
        for character in text {
            if character.isNumber || character == "." {
                if !unit.isEmpty, !flush() { return nil }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty || !unit.isEmpty else { return parts > 0 ? total : nil }
        return flush() ? total : nil
    }

    /// Formats a duration the way `parse` reads it (`1d2h`, `90s`, `250ms`).
    package static func format(_ duration: Duration) -> String {
        var milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        var text = ""
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] where milliseconds >= size {
            text += "\(milliseconds / size)\(unit)"
            milliseconds %= size
        }
        return text
    }
}

/// Parses sizes written for humans: `64K`, `500M`, `10G`, `1T` (powers of 1024, with optional
/// `B` or `iB`), and bare numbers of bytes.
package enum HumanByteCount {
    package static func parse(_ text: String) -> Int64? {
        var text = text.trimmingCharacters(in: .whitespaces).uppercased()
        if text.hasSuffix("IB") {
            text.removeLast(2)
        } else if text.hasSuffix("B") {
            text.removeLast()
        }
        let multipliers: [Character: Double] = ["K": 1024, "M": 1_048_576, "G": 1_073_741_824, "T": 1_099_511_627_776]
        var multiplier = 1.0
        if let last = text.last, let unit = multipliers[last] {
            multiplier = unit
            text.removeLast()
        }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else { return nil }
        let bytes = value * multiplier
        guard bytes < 9.2e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// Formats a byte count with the largest unit that keeps it readable (`1.5G`, `512K`, `100B`).
    package static func format(_ bytes: Int64) -> String {
        let units: [(String, Double)] = [("T", 1_099_511_627_776), ("G", 1_073_741_824), ("M", 1_048_576), ("K", 1024)]
        for (unit, size) in units where Double(bytes) >= size {
            let value = Double(bytes) / size
            return value == value.rounded() ? "\(Int64(value))\(unit)" : "\((value * 10).rounded() / 10)\(unit)"
        }
        return "\(bytes)B"
    }
}
