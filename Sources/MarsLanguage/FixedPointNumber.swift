import PolytopeCore

/// A decimal number held exactly as an integer count of `10^-fractionDigits` (levels such as
/// `850` or `0.5`).
struct FixedPointNumber: Hashable, Sendable {
    static let maximumFractionDigits = 6

    var units: Int
    var fractionDigits: Int

    /// Digits with an optional fraction (`850`, `0850`, `0.50`); a leading `-` only with
    /// `allowsNegative`.
    init?(_ text: String, allowsNegative: Bool = false) {
        var text = Substring(text.trimmed)
        var sign = 1
        if allowsNegative, text.hasPrefix("-") {
            sign = -1
            text = text.dropFirst()
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        let integer = parts[0].drop { $0 == "0" }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.hasSuffix("0") { fraction = fraction.dropLast() }
        guard parts.count == 1 || !parts[1].isEmpty, integer.count <= 12, fraction.count <= Self.maximumFractionDigits,
            let value = Int(integer.isEmpty ? "0" : String(integer)), let fractionValue = Int(fraction.isEmpty ? "0" : String(fraction))
        else { return nil }
        self.fractionDigits = fraction.count
        self.units = sign * (value * Self.power(fraction.count) + fractionValue)
    }

    init(units: Int, fractionDigits: Int) {
        self.units = units
        self.fractionDigits = fractionDigits
    }

    /// The same number counted in `10^-digits` (`digits` ≥ `fractionDigits`).
    func units(atFractionDigits digits: Int) -> Int { units * Self.power(digits - fractionDigits) }

    /// Without leading zeros or trailing fractional zeros: `850`, `0.5`.
    var text: String {
        let scale = Self.power(fractionDigits)
        let magnitude = abs(units)
        var text = (units < 0 ? "-" : "") + String(magnitude / scale)
        var fraction = fractionDigits > 0 ? (magnitude % scale).zeroPadded(fractionDigits) : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        if !fraction.isEmpty { text += "." + fraction }
        return text
    }

    static func power(_ exponent: Int) -> Int {
        var result = 1
        for _ in 0..<max(exponent, 0) { result *= 10 }
        return result
    }
}
