import Testing

@testable import Frontend

@Suite("WKT geometries of EDR coords")
struct WKTGeometryTests {
    typealias Position = WKTGeometry.Position

    @Test("the types EDR queries take, longitude first, any case and spacing")
    func types() throws {
        #expect(try WKTGeometry(wkt: "POINT(-9.1 38.9)") == .point(Position(longitude: -9.1, latitude: 38.9)))
        #expect(try WKTGeometry(wkt: "  point ( 10  50 ) ") == .point(Position(longitude: 10, latitude: 50)))
        let points = [Position(longitude: 1, latitude: 2), Position(longitude: 3e0, latitude: -4.5)]
        #expect(try WKTGeometry(wkt: "MULTIPOINT((1 2), (3e0 -4.5))") == .multiPoint(points))
        #expect(try WKTGeometry(wkt: "MULTIPOINT(1 2,3e0 -4.5)") == .multiPoint(points))
        #expect(try WKTGeometry(wkt: "LINESTRING(1 2, 3e0 -4.5)") == .lineString(points))
        let ring = [Position(longitude: 0, latitude: 0), Position(longitude: 1, latitude: 0), Position(longitude: 0, latitude: 1)]
        #expect(try WKTGeometry(wkt: "POLYGON((0 0, 1 0, 0 1))") == .polygon([ring]))
        #expect(try WKTGeometry(wkt: "POLYGON((0 0, 1 0, 0 1), (0 0, 1 0, 0 1))") == .polygon([ring, ring]))
        #expect(try WKTGeometry(wkt: "MULTIPOLYGON(((0 0, 1 0, 0 1)), ((0 0, 1 0, 0 1)))") == .multiPolygon([[ring], [ring]]))
    }

    @Test(
        "errors say what was expected where",
        arguments: [
            ("POINT(10)", "expected a latitude after the longitude 10, found ')'"),
            ("POINT(10 50", "expected ')' after the point's two coordinates, found the end of the text"),
            ("POINT(10 50 3)", "the position 10 50 3 has more than two coordinates; only longitude latitude is supported (give levels with z)"),
            ("POINT Z (10 50 3)", "POINT Z: only 2-D coordinates (longitude latitude) are supported; give levels with z"),
            ("POINT EMPTY", "POINT EMPTY selects nothing"),
            ("CIRCLE(1 2)", "unknown geometry type 'CIRCLE'; expected POINT, MULTIPOINT, LINESTRING, POLYGON or MULTIPOLYGON"),
            ("POINT(1 2) x", "unexpected 'X' after the end of the POINT"),
            ("POINT(a 2)", "expected a longitude, found 'A'"),
            ("POINT(1 2;)", "unexpected character ';'"),
            ("LINESTRING(1 2 3 4)", "the position 1 2 3 has more than two coordinates; only longitude latitude is supported (give levels with z)"),
            ("POINT(1e999 2)", "expected a longitude, found '1e999'"),
            ("", "expected a geometry type (POINT, MULTIPOINT, LINESTRING, POLYGON or MULTIPOLYGON), found the end of the text"),
        ])
    func errors(text: String, message: String) {
        #expect(throws: WKTGeometry.SyntaxError(message: message)) { try WKTGeometry(wkt: text) }
    }

    @Test("errors quote at most 32 characters of a word the client sent")
    func quotesAreShort() {
        let junk = String(repeating: "x", count: 20_000)
        #expect(throws: WKTGeometry.SyntaxError(message: "unexpected '\(String(repeating: "X", count: 32))…' after the end of the POINT")) {
            try WKTGeometry(wkt: "POINT(1 2) " + junk)
        }
        #expect(throws: WKTGeometry.SyntaxError(message: "expected ',' or ')', found '\(String(repeating: "X", count: 32))…'")) {
            try WKTGeometry(wkt: "LINESTRING(1 2 " + junk)
        }
    }

    @Test("a text beyond the bound is refused before it is read")
    func bounded() {
        let text = "LINESTRING(" + String(repeating: "1 2, ", count: 60_000) + "1 2)"
        #expect(throws: WKTGeometry.SyntaxError(message: "the geometry is longer than 262144 characters")) { try WKTGeometry(wkt: text) }
    }
}
