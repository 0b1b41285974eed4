import Foundation
import MarsLanguage
import PolytopeCore

/// A URL with placeholders filled from request values, as the `http` datasource's `url`:
/// `{key}` is the value as normalised (`{date}` → `20240101`, `{step}` → `6`); dates and times
/// take a format, `{date:YYYY-MM-DD}`, `{date:YYYY}`, `{time:HH}`, `{time:HHMM}`.
///
/// Values are percent-encoded, so a request value can never change the URL's structure.
struct URLTemplate: Sendable, Hashable {
    /// A piece of a date or time format.
    enum FormatToken: Sendable, Hashable {
        case literal(String)
        case year, month, day, hour, minute
    }

    /// One piece of the template.
    enum Piece: Sendable, Hashable {
        case literal(String)
        /// A request key, with a format for date and time keys (nil: the value as is).
        case placeholder(key: String, format: [FormatToken]?)
    }

    /// What is wrong with a template, for the configuration's report.
    struct Problem: Error, Equatable {
        var message: String
    }

    let text: String
    let pieces: [Piece]
    /// The request keys the template uses, lower case, in the order they first appear.
    let keys: [String]

    /// Parses `text`; `kind` tells which keys hold dates and times (they accept a format).
    init(_ text: String, kind: (String) -> MarsValueKind?) throws(Problem) {
        var pieces: [Piece] = []
        var keys: [String] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "{" || $0 == "}" }) {
            guard rest[open] == "{" else { throw Problem(message: "a '}' without its '{' in \(text)") }
            if open > rest.startIndex { pieces.append(.literal(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else { throw Problem(message: "a '{' without its '}' in \(text)") }
            let inside = rest[rest.index(after: open)..<close]
            let name = String(inside.prefix { $0 != ":" }).trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw Problem(message: "'{\(inside)}' does not name a request key")
            }
            var format: [FormatToken]?
            if let colon = inside.firstIndex(of: ":") {
                let pattern = String(inside[inside.index(after: colon)...])
                format = try Self.format(pattern, key: name, kind: kind(name))
            }
            pieces.append(.placeholder(key: name, format: format))
            if !keys.contains(name) { keys.append(name) }
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        guard !keys.isEmpty || !pieces.isEmpty else { throw Problem(message: "the URL is empty") }
        self.text = text
        self.pieces = pieces
        self.keys = keys
    }

    /// The URL for one value of each key (keys lower case; every key of `keys` must be given).
    func expand(_ values: [String: String]) -> String {
        var url = ""
        for piece in pieces {
            switch piece {
            case .literal(let text):
                url += text
            case .placeholder(let key, let format):
                let value = values[key] ?? ""
                url += Self.percentEncoded(format.map { Self.apply($0, to: value) } ?? value)
            }
        }
        return url
    }

    /// `url` without what may be secret, for messages: no user name or password, no query.
    static func displayed(_ url: String) -> String {
        let withoutQuery = String(url.prefix { $0 != "?" && $0 != "#" })
        guard let schemeEnd = withoutQuery.range(of: "://") else { return withoutQuery }
        let authorityStart = schemeEnd.upperBound
        let authorityEnd = withoutQuery[authorityStart...].firstIndex(of: "/") ?? withoutQuery.endIndex
        guard let at = withoutQuery[authorityStart..<authorityEnd].lastIndex(of: "@") else { return withoutQuery }
        return String(withoutQuery[..<authorityStart]) + String(withoutQuery[withoutQuery.index(after: at)...])
    }

    /// The URL of the index of a data file: its last extension replaced with `.index`, the
    /// query kept (`.../x-fc.grib2?sig=1` → `.../x-fc.index?sig=1`).
    static func indexURL(ofDataURL url: String) -> String {
        let split = url.firstIndex { $0 == "?" || $0 == "#" } ?? url.endIndex
        let path = url[..<split]
        let nameStart = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
        let stem = path[nameStart...].lastIndex(of: ".").map { path[..<$0] } ?? path
        return stem + ".index" + url[split...]
    }

    // MARK: Formats

    private static func format(_ pattern: String, key: String, kind: MarsValueKind?) throws(Problem) -> [FormatToken] {
        let names: [(String, FormatToken)]
        switch kind {
        case .date: names = [("YYYY", .year), ("MM", .month), ("DD", .day)]
        case .time: names = [("HH", .hour), ("MM", .minute)]
        default: throw Problem(message: "'{\(key):\(pattern)}': only date and time keys take a format")
        }
        var tokens: [FormatToken] = []
        var rest = Substring(pattern)
        var literal = ""
        while !rest.isEmpty {
            if let (name, token) = names.first(where: { rest.hasPrefix($0.0) }) {
                if !literal.isEmpty { tokens.append(.literal(literal)) }
                literal = ""
                tokens.append(token)
                rest = rest.dropFirst(name.count)
            } else {
                literal.append(rest.removeFirst())
            }
        }
        if !literal.isEmpty { tokens.append(.literal(literal)) }
        guard tokens.contains(where: { if case .literal = $0 { false } else { true } }) else {
            let expected = names.map(\.0).joined(separator: ", ")
            throw Problem(message: "'{\(key):\(pattern)}' has none of \(expected)")
        }
        return tokens
    }

    /// A normalised date (`YYYYMMDD`) or time (`HHMM`) written in `format`; other values as
    /// they are.
    private static func apply(_ format: [FormatToken], to value: String) -> String {
        let digits = Array(value)
        guard digits.allSatisfy(\.isASCIIDigit), digits.count == 8 || digits.count == 4 else { return value }
        func part(_ range: Range<Int>) -> String { range.upperBound <= digits.count ? String(digits[range]) : value }
        let isDate = digits.count == 8
        return format.map { token in
            switch token {
            case .literal(let text): return text
            case .year: return isDate ? part(0..<4) : value
            case .month: return isDate ? part(4..<6) : value
            case .day: return isDate ? part(6..<8) : value
            case .hour: return isDate ? value : part(0..<2)
            case .minute: return isDate ? value : part(2..<4)
            }
        }.joined()
    }

    /// `value` with every byte but letters, digits and `-._~` written `%XX`.
    private static func percentEncoded(_ value: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.append(Character(Unicode.Scalar(byte)))
            default:
                encoded += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
            }
        }
        return encoded
    }
}
