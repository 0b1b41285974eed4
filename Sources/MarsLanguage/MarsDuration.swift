import PolytopeCore

/// A length of time written as MARS writes steps: `6` (hours), `6h`, `30m`, `1h30m`, `2d`, `45s`.
struct MarsDuration: Hashable, Sendable {
    var seconds: Int

    init(seconds: Int) {
        self.seconds = seconds
    }

    /// Bare digits are hours; otherwise numbers each followed by a unit, units in the order
    /// d, h, m, s and each at most once. With `allowsNegative`, a leading `-` (for `by`).
    init?(_ text: String, allowsNegative: Bool = false) {
        var text = Substring(text.trimmed.lowercased())
        var sign = 1
        if allowsNegative, text.hasPrefix("-") {
            sign = -1
            text = text.dropFirst()
        }
        guard !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCIIDigit) {
            guard text.count <= 6, let hours = Int(text) else { return nil }
            self.seconds = sign * hours * 3600
            return
        }
        let units: [(Character, Int)] = [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var nextUnit = 0
        var total = 0
        var digits = ""
        for character in text {
            if character.isASCIIDigit {
                digits.append(character)
                continue
            }
            guard !digits.isEmpty, digits.count <= 6, let amount = Int(digits),
                let index = units[nextUnit...].firstIndex(where: { $0.0 == character })
            else { return nil }
            total += amount * units[index].1
            nextUnit = index + 1
            digits = ""
        }
        guard digits.isEmpty else { return nil }
        self.seconds = sign * total
    }

    /// The step as MARS (metkit) writes it: whole hours without a unit (`6`, `48`), otherwise
    /// hours, minutes and seconds with units (`1h30m`, `30m`, `45s`).
    var stepText: String {
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        let remainder = seconds % 60
        var text = ""
        if hours != 0 || (minutes == 0 && remainder == 0) {
            text += String(hours)
            if minutes != 0 || remainder != 0 { text += "h" }
        }
        if minutes != 0 { text += "\(minutes)m" }
        if remainder != 0 { text += "\(remainder)s" }
        return text
    }

    /// Words for messages: `30 days`, `2 hours`, `1 day 12 hours`.
    var spokenText: String {
        let parts: [(Int, String)] = [
            (seconds / 86_400, "day"), (seconds % 86_400 / 3600, "hour"), (seconds % 3600 / 60, "minute"), (seconds % 60, "second"),
        ]
        let words = parts.filter { $0.0 != 0 }.map { "\($0.0) \($0.1)\($0.0 == 1 ? "" : "s")" }
        return words.isEmpty ? "0 seconds" : words.joined(separator: " ")
    }
}
