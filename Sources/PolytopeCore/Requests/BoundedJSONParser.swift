/// Reads JSON into a `JSONValue` in one pass over the bytes, holding it to `RequestLimits`
/// as it goes: nesting, values and the members of any one object are counted while parsing,
/// so a hostile body is refused after work proportional to the bytes read so far.
///
/// Strict JSON (RFC 8259): no comments, no trailing commas, no NaN; a key given twice in one
/// object is an error, as it is in every other request form.
package struct BoundedJSONParser: Sendable {
    package var limits: RequestLimits

    package init(limits: RequestLimits = RequestLimits()) {
        self.limits = limits
    }

    /// Text that is not JSON: what is wrong and at which byte.
    package struct SyntaxError: Error, Sendable, CustomStringConvertible {
        package var offset: Int
        package var reason: String

        package var description: String { "byte \(offset): \(reason)" }
    }

    /// - Throws: `SyntaxError` for text that is not JSON; `PolytopeError.invalidRequest`
    ///   naming the limit for JSON over a limit.
    package func parse(_ bytes: some Collection<UInt8>) throws -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer, budget: RequestLimits.Budget(limits))
            reader.skipWhitespace()
            let value = try reader.value(depth: 0)
            reader.skipWhitespace()
            guard reader.position == buffer.count else { throw reader.error("unexpected text after the JSON value") }
            return value
        }
    }

    /// The parsing state over one buffer.
    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var budget: RequestLimits.Budget
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>, budget: RequestLimits.Budget) {
            self.bytes = bytes
            self.budget = budget
        }

        var limits: RequestLimits { budget.limits }

        func error(_ text: String) -> SyntaxError {
            SyntaxError(offset: position, reason: text)
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            try budget.spend()
            guard position < bytes.count else { throw error("the text ends where a value should be") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw error("expected a value")
            }
        }

        mutating func object(depth: Int) throws -> JSONValue {
            guard depth <= limits.maximumNesting else { throw limits.nestingExceeded }
            position += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after a key") }
                position += 1
                skipWhitespace()
                guard members.count < limits.maximumKeys else { throw limits.keysExceeded }
                let member = try value(depth: depth)
                guard members.updateValue(member, forKey: key) == nil else {
                    throw PolytopeError.invalidRequest("The key '\(key.prefix(64))' is given more than once.")
                }
                skipWhitespace()
                guard position < bytes.count else { throw error("the text ends inside an object") }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"):
                    position += 1
                    return .object(members)
                default: throw error("expected ',' or '}'")
                }
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            guard depth <= limits.maximumNesting else { throw limits.nestingExceeded }
            position += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try value(depth: depth))
                skipWhitespace()
                guard position < bytes.count else { throw error("the text ends inside a list") }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "]"):
                    position += 1
                    return .array(items)
                default: throw error("expected ',' or ']'")
                }
            }
        }

        mutating func literal(_ word: StaticString, _ value: JSONValue) throws -> JSONValue {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { throw error("expected \(word)") }
            for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] {
                throw error("expected \(word)")
            }
            position += count
            return value
        }

        mutating func number() throws -> JSONValue {
            let start = position
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            skipDigits()
            let integerDigits = position - integerStart
            guard integerDigits > 0 else { throw error("expected digits") }
            if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw error("numbers may not start with 0") }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                let fractionStart = position
                skipDigits()
                guard position > fractionStart else { throw error("expected digits after '.'") }
            }
            if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                let exponentStart = position
                skipDigits()
                guard position > exponentStart else { throw error("expected digits in the exponent") }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let number = Double(text), number.isFinite else { throw error("the number \(text.prefix(40)) is out of range") }
            return .number(number)
        }

        mutating func skipDigits() {
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        }

        mutating func string() throws -> String {
            position += 1
            let start = position
            // Fast path: no escapes.
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = try utf8(UnsafeBufferPointer(rebasing: bytes[start..<position]))
                    position += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                guard byte >= 0x20 else { throw error("control characters must be escaped in strings") }
                position += 1
            }
            var scalars = Array(bytes[start..<position])
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return try utf8(scalars)
                case UInt8(ascii: "\\"):
                    try escape(into: &scalars)
                case ..<0x20:
                    throw error("control characters must be escaped in strings")
                default:
                    scalars.append(byte)
                }
            }
            throw error("a string is not closed")
        }

        /// The text of a string's bytes; refused unless they are UTF-8 (RFC 8259), instead of
        /// being kept with replacement characters that the client never sent.
        func utf8(_ bytes: some Collection<UInt8>) throws -> String {
            // Decoding repairs what is not UTF-8, so a string that reads back as other bytes was
            // not (cheaper on the submit path than String(validating:)).
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.utf8.elementsEqual(bytes) else { throw error("a string is not valid UTF-8") }
            return text
        }

        mutating func escape(into output: inout [UInt8]) throws {
            guard position < bytes.count else { throw error("a string is not closed") }
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(byte)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "u"):
                var code = try hexQuad()
                if (0xD800..<0xDC00).contains(code) {
                    guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                        throw error("a \\u escape names half of a character")
                    }
                    position += 2
                    let low = try hexQuad()
                    guard (0xDC00..<0xE000).contains(low) else { throw error("a \\u escape names half of a character") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("a \\u escape names no character") }
                // NUL ends text in SQLite's C interface and PostgreSQL refuses it: never kept.
                guard code != 0 else { throw error("\\u0000 (NUL) is not accepted in strings") }
                output.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw error("unknown escape in a string")
            }
        }

        mutating func hexQuad() throws -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("a \\u escape needs four hex digits") }
            var code: UInt32 = 0
            for _ in 0..<4 {
                guard let digit = Self.hexValue(bytes[position]) else { throw error("a \\u escape needs four hex digits") }
                code = code << 4 | digit
                position += 1
            }
            return code
        }

        static func hexValue(_ byte: UInt8) -> UInt32? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
    }
}
