/// JSON text built as UTF-8 bytes: strings escaped per RFC 8259, numbers as Python's `repr`
/// writes them (what covjsonkit's answers contain), non-finite numbers as `null`.
package struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    package init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    /// Hands over the bytes written so far and starts empty.
    package mutating func take() -> [UInt8] {
        defer { bytes = [] }
        return bytes
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    package mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0x0F))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"key":`
    mutating func key(_ name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A floating-point number as Python writes it (`264.0`, `1e-05`, `1e+16`), or `null`.
    mutating func number(_ value: Double?) {
        guard let value, value.isFinite else {
            raw("null")
            return
        }
        raw(Self.pythonRepr(value))
    }

    mutating func integer(_ value: Int) {
        raw(String(value))
    }

    /// A value read from MARS text: an integer when it is one (`500`), a float otherwise, or
    /// the text itself as a string.
    mutating func marsValue(_ value: MarsScalar) {
        switch value {
        case .integer(let integer): raw(String(integer))
        case .float(let float): number(float)
        case .text(let text): string(text)
        }
    }

    mutating func comma() { bytes.append(UInt8(ascii: ",")) }
    mutating func open(_ bracket: UInt8) { bytes.append(bracket) }

    /// Python's `repr(float)`: the shortest text that reads back the same, in positional
    /// notation for magnitudes in [1e-4, 1e16) and scientific otherwise. Swift's `description`
    /// agrees except between 2⁵³ and 1e16, where it already switches to scientific.
    package static func pythonRepr(_ value: Double) -> String {
        let magnitude = abs(value)
        if magnitude >= 9_007_199_254_740_992, magnitude < 1e16 {
            return String(Int64(value)) + ".0"
        }
        return value.description
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}

/// A MARS value as covjsonkit writes it in `mars:metadata` and coordinates.
package enum MarsScalar: Hashable, Sendable {
    case integer(Int)
    case float(Double)
    case text(String)

    /// The number a MARS text holds (`"500"` → 500, `"0.5"` → 0.5), else the text.
    init(numberOrText text: String) {
        if let integer = Int(text) {
            self = .integer(integer)
        } else if let float = Double(text), float.isFinite {
            self = float == float.rounded() && abs(float) < 1e15 ? .integer(Int(float)) : .float(float)
        } else {
            self = .text(text)
        }
    }
}
