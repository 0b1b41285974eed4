import PolytopeCore

/// A geometry of an EDR query's `coords`, parsed from Well-Known Text (`POINT(lon lat)`,
/// `MULTIPOINT`, `LINESTRING`, `POLYGON`, `MULTIPOLYGON`), in 2-D, longitude first (WKT's
/// x y order in CRS84).
enum WKTGeometry: Sendable, Equatable {
    /// A position: x is the longitude, y the latitude.
    struct Position: Sendable, Equatable {
        var longitude: Double
        var latitude: Double
    }

    case point(Position)
    case multiPoint([Position])
    case lineString([Position])
    /// Rings: the outer one, then holes; each as written (closed: last = first).
    case polygon([[Position]])
    case multiPolygon([[[Position]]])

    /// The name of the geometry type, as WKT writes it.
    var typeName: String {
        switch self {
        case .point: "POINT"
        case .multiPoint: "MULTIPOINT"
        case .lineString: "LINESTRING"
        case .polygon: "POLYGON"
        case .multiPolygon: "MULTIPOLYGON"
        }
    }

    /// Why a text is not a geometry this parser reads, for a 400.
    struct SyntaxError: Error, Equatable {
        var message: String
    }

    /// The longest text parsed (a query string is bounded by the header size anyway).
    static let maximumLength = 256 * 1024

    /// Parses `text`.
    /// - Throws: `SyntaxError` saying what was expected where.
    init(wkt text: String) throws(SyntaxError) {
        guard text.utf8.count <= Self.maximumLength else {
            throw SyntaxError(message: "the geometry is longer than \(Self.maximumLength) characters")
        }
        var parser = Parser(tokens: try Self.tokens(of: text))
        self = try parser.geometry()
        if let extra = parser.peek() {
            throw SyntaxError(message: "unexpected '\(extra.shown)' after the end of the \(typeName)")
        }
    }

    // MARK: Tokens

    fileprivate struct Token: Equatable {
        enum Kind { case word, number, open, close, comma }
        var kind: Kind
        var text: String
        /// The text as error messages quote it: at most 32 characters of the client's input.
        var shown: String { text.count > 32 ? String(text.prefix(32)) + "…" : text }
    }

    private static func tokens(of text: String) throws(SyntaxError) -> [Token] {
        var tokens: [Token] = []
        let characters = Array(text.unicodeScalars)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case " ", "\t", "\n", "\r":
                index += 1
            case "(":
                tokens.append(Token(kind: .open, text: "("))
                index += 1
            case ")":
                tokens.append(Token(kind: .close, text: ")"))
                index += 1
            case ",":
                tokens.append(Token(kind: .comma, text: ","))
                index += 1
            default:
                let start = index
                if character.properties.isAlphabetic {
                    while index < characters.count, characters[index].properties.isAlphabetic { index += 1 }
                    tokens.append(Token(kind: .word, text: String(String.UnicodeScalarView(characters[start..<index])).uppercased()))
                } else if "0123456789+-.".unicodeScalars.contains(character) {
                    while index < characters.count, "0123456789+-.eE".unicodeScalars.contains(characters[index]) { index += 1 }
                    tokens.append(Token(kind: .number, text: String(String.UnicodeScalarView(characters[start..<index]))))
                } else {
                    throw SyntaxError(message: "unexpected character '\(character)'")
                }
            }
        }
        return tokens
    }

    // MARK: Grammar

    private struct Parser {
        let tokens: [Token]
        var cursor = 0

        init(tokens: [Token]) {
            self.tokens = tokens
        }

        func peek() -> Token? { cursor < tokens.count ? tokens[cursor] : nil }

        mutating func next(_ expected: String) throws(SyntaxError) -> Token {
            guard let token = peek() else { throw SyntaxError(message: "expected \(expected), found the end of the text") }
            cursor += 1
            return token
        }

        mutating func expect(_ kind: Token.Kind, _ expected: String) throws(SyntaxError) {
            let token = try next(expected)
            guard token.kind == kind else { throw SyntaxError(message: "expected \(expected), found '\(token.shown)'") }
        }

        mutating func geometry() throws(SyntaxError) -> WKTGeometry {
            let type = try next("a geometry type (POINT, MULTIPOINT, LINESTRING, POLYGON or MULTIPOLYGON)")
            guard type.kind == .word else {
                throw SyntaxError(message: "expected a geometry type (POINT, MULTIPOINT, LINESTRING, POLYGON or MULTIPOLYGON), found '\(type.shown)'")
            }
            if let modifier = peek(), modifier.kind == .word {
                if modifier.text == "EMPTY" { throw SyntaxError(message: "\(type.shown) EMPTY selects nothing") }
                throw SyntaxError(
                    message: "\(type.shown) \(modifier.shown): only 2-D coordinates (longitude latitude) are supported; give levels with z")
            }
            switch type.text {
            case "POINT":
                try expect(.open, "'(' after POINT")
                let point = try position()
                try expect(.close, "')' after the point's two coordinates")
                return .point(point)
            case "MULTIPOINT":
                return .multiPoint(
                    try list { parser throws(SyntaxError) in
                        // Both MULTIPOINT((1 2), (3 4)) and MULTIPOINT(1 2, 3 4) are common.
                        if parser.peek()?.kind == .open {
                            parser.cursor += 1
                            let point = try parser.position()
                            try parser.expect(.close, "')' after a point's two coordinates")
                            return point
                        }
                        return try parser.position()
                    })
            case "LINESTRING":
                return .lineString(try list { parser throws(SyntaxError) in try parser.position() })
            case "POLYGON":
                return .polygon(try rings())
            case "MULTIPOLYGON":
                return .multiPolygon(try list { parser throws(SyntaxError) in try parser.rings() })
            case "POINTZ", "POINTM", "POINTZM", "LINESTRINGZ", "LINESTRINGM", "LINESTRINGZM", "MULTIPOINTZ", "POLYGONZ":
                throw SyntaxError(message: "\(type.shown): only 2-D coordinates (longitude latitude) are supported; give levels with z")
            default:
                throw SyntaxError(
                    message: "unknown geometry type '\(type.shown)'; expected POINT, MULTIPOINT, LINESTRING, POLYGON or MULTIPOLYGON")
            }
        }

        mutating func rings() throws(SyntaxError) -> [[Position]] {
            try list { parser throws(SyntaxError) in
                try parser.list { parser throws(SyntaxError) in try parser.position() }
            }
        }

        /// `( item, item, ... )`.
        mutating func list<Item>(_ item: (inout Parser) throws(SyntaxError) -> Item) throws(SyntaxError) -> [Item] {
            try expect(.open, "'('")
            var items: [Item] = [try item(&self)]
            while true {
                let token = try next("',' or ')'")
                switch token.kind {
                case .comma: items.append(try item(&self))
                case .close: return items
                default: throw SyntaxError(message: "expected ',' or ')', found '\(token.shown)'")
                }
            }
        }

        /// `lon lat`.
        mutating func position() throws(SyntaxError) -> Position {
            let longitude = try number("a longitude")
            let latitude = try number("a latitude after the longitude \(Self.text(longitude))")
            if let extra = peek(), extra.kind == .number {
                throw SyntaxError(
                    message: "the position \(Self.text(longitude)) \(Self.text(latitude)) \(extra.shown) has more than two coordinates; "
                        + "only longitude latitude is supported (give levels with z)")
            }
            return Position(longitude: longitude, latitude: latitude)
        }

        mutating func number(_ expected: String) throws(SyntaxError) -> Double {
            let token = try next(expected)
            guard token.kind == .number, let value = Double(token.text), value.isFinite else {
                throw SyntaxError(message: "expected \(expected), found '\(token.shown)'")
            }
            return value
        }

        static func text(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }
}
