import Foundation

/// A calendar day (proleptic Gregorian calendar, UTC), counted in days since 1970-01-01.
///
/// Pure arithmetic, no `Calendar`: the same input gives the same day on every machine.
package struct CivilDay: Hashable, Comparable, Sendable {
    package static let secondsPerDay = 86_400

    package var dayNumber: Int

    package init(dayNumber: Int) {
        self.dayNumber = dayNumber
    }

    /// The day, if `year`, `month` and `day` name one between years 1 and 9999.
    package init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1, day <= Self.length(ofMonth: month, in: year) else {
            return nil
        }
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = shiftedYear / 400
        let yearOfEra = shiftedYear - era * 400
        let monthFromMarch = (month + 9) % 12
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        dayNumber = era * 146_097 + dayOfEra - 719_468
    }

    /// `YYYYMMDD` or `YYYY-MM-DD`.
    package init?(absolute text: String) {
        let digits: [Character]
        if text.count == 10, Array(text)[4] == "-", Array(text)[7] == "-" {
            digits = Array(text.replacingOccurrences(of: "-", with: ""))
        } else {
            digits = Array(text)
        }
        guard digits.count == 8, digits.allSatisfy(\.isASCIIDigit),
            let year = Int(String(digits[0..<4])), let month = Int(String(digits[4..<6])), let day = Int(String(digits[6..<8]))
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The UTC day that contains `date`.
    package static func containing(_ date: Date) -> CivilDay {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        return CivilDay(dayNumber: floorDivide(seconds, secondsPerDay))
    }

    package var components: (year: Int, month: Int, day: Int) {
        let shifted = dayNumber + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Whether the day falls in years 1 to 9999, the ones `YYYYMMDD` can write.
    package var isWritable: Bool { (1...9999).contains(components.year) }

    /// `YYYYMMDD`.
    package var compactText: String {
        let (year, month, day) = components
        return year.zeroPadded(4) + month.zeroPadded(2) + day.zeroPadded(2)
    }

    /// Seconds since 1970-01-01 at 00:00 UTC of this day.
    package var midnightSeconds: Int { dayNumber * Self.secondsPerDay }

    package static func < (lhs: CivilDay, rhs: CivilDay) -> Bool { lhs.dayNumber < rhs.dayNumber }

    package static func length(ofMonth month: Int, in year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Division rounding towards negative infinity.
package func floorDivide(_ value: Int, _ divisor: Int) -> Int {
    let quotient = value / divisor
    return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
}

extension Int {
    /// The number in decimal, with leading zeros up to `width` digits.
    package func zeroPadded(_ width: Int) -> String {
        let text = String(self)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Character {
    package var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
