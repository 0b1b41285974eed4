import Foundation
import PolytopeCore
import Testing

/// Key and depth bombs: every request form is held to the same limits, refused with a message
/// naming the limit, and parsing stays linear in the number of keys.
@Suite("Request limits")
struct RequestLimitsTests {
    /// The same request of `count` keys in each form the server accepts.
    static func forms(keys count: Int) -> [(name: String, text: String)] {
        let keys = (0..<count).map { "k\($0)" }
        return [
            ("YAML (fast path)", keys.map { "\($0): v" }.joined(separator: "\n")),
            ("YAML flow (full parser)", "{" + keys.map { "\($0): v" }.joined(separator: ", ") + "}"),
            ("JSON text", "{" + keys.map { "\"\($0)\": \"v\"" }.joined(separator: ", ") + "}"),
            ("MARS", "retrieve, " + keys.map { "\($0)=v" }.joined(separator: ", ")),
        ]
    }

    /// The JSON object form, as a client sends `"request": {...}`.
    static func object(keys count: Int) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", JSONValue.string("v")) })
    }

    @Test("more keys than the limit are refused in every form, naming the limit")
    func tooManyKeys() throws {
        let parser = RequestTextParser(limits: RequestLimits(maximumKeys: 100))
        for (name, text) in Self.forms(keys: 101) {
            let error = #expect(throws: PolytopeError.self, "\(name)") { try parser.parse(text) }
            #expect(error?.message.contains("max-request-keys") == true, "\(name): \(error?.message ?? "")")
        }
        let error = #expect(throws: PolytopeError.self) { try parser.document(from: Self.object(keys: 101)) }
        #expect(error?.message.contains("max-request-keys") == true)
        for (name, text) in Self.forms(keys: 100) {
            #expect(try parser.parse(text).count == 100, "\(name)")
        }
    }

    @Test("the default limit refuses the 95,000-key request of the hostile test")
    func defaultKeyLimit() throws {
        let parser = RequestTextParser()
        for (name, text) in Self.forms(keys: 95_000) {
            let error = #expect(throws: PolytopeError.self, "\(name)") { try parser.parse(text) }
            #expect(error?.message.contains("1000 keys") == true, "\(name): \(error?.message ?? "")")
        }
    }

    /// Was 8.7 s for 40,000 keys in a release build (quadratic); linear parsing takes well
    /// under a second even in a debug build. The bound is loose so that load cannot fail it.
    @Test("parsing is linear in the number of keys when the limit allows many")
    func linearParsing() throws {
        let parser = RequestTextParser(limits: RequestLimits(maximumKeys: 200_000))
        for (name, text) in Self.forms(keys: 40_000) {
            let start = ContinuousClock.now
            #expect(try parser.parse(text).count == 40_000, "\(name)")
            #expect(ContinuousClock.now - start < .seconds(20), "\(name)")
        }
        let start = ContinuousClock.now
        #expect(try parser.document(from: Self.object(keys: 40_000)).count == 40_000)
        #expect(ContinuousClock.now - start < .seconds(20))
    }

    @Test("JSON objects obey the nesting and value limits that text obeys")
    func objectLimits() throws {
        let parser = RequestTextParser()
        var deep = JSONValue.array([])
        for _ in 0..<400 { deep = .array([deep]) }
        let nesting = #expect(throws: PolytopeError.self) { try parser.document(from: ["feature": deep]) }
        #expect(nesting?.message.contains("nested more than 32 levels") == true)
        let textNesting = #expect(throws: PolytopeError.self) {
            try parser.parse("feature: " + String(repeating: "[", count: 400) + String(repeating: "]", count: 400))
        }
        #expect(textNesting?.message.contains("nested more than 32 levels") == true)

        let many = JSONValue.array(Array(repeating: .number(1), count: 100_001))
        let values = #expect(throws: PolytopeError.self) { try parser.document(from: ["points": many]) }
        #expect(values?.message.contains("more than 100000 values") == true)

        var allowed = JSONValue.array([])
        for _ in 0..<30 { allowed = .array([allowed]) }
        #expect(try parser.document(from: ["feature": allowed]).count == 1)
    }
}

@Suite("Bounded JSON parser")
struct BoundedJSONParserTests {
    func parse(_ text: String, limits: RequestLimits = RequestLimits()) throws -> JSONValue {
        try BoundedJSONParser(limits: limits).parse(Array(text.utf8))
    }

    @Test("reads what JSONDecoder reads")
    func sameAsFoundation() throws {
        let samples = [
            #"{"a": [1, -2.5, 3e2, 0, -0.125E-2], "b": {"c": null, "d": true, "e": false}, "f": "x"}"#,
            #"{"text": "quote \" backslash \\ slash \/ tab \t newline \n unicode \u00e9 \ud83d\ude00 raw é"}"#,
            #"  [ ]  "#, #"{}"#, #""plain""#, "12", "[[[]], {}]",
        ]
        for sample in samples {
            let expected = try JSONDecoder().decode(JSONValue.self, from: Data(sample.utf8))
            #expect(try parse(sample) == expected, "\(sample)")
        }
    }

    @Test(
        "refuses what is not JSON, saying where",
        arguments: [
            "", "{", "[1,]", "{\"a\" 1}", "{\"a\": 1,}", "01", "1.", "-", "tru", "nul", "\"open", "\"\\x\"", "\"\\u12\"",
            "[1] 2", "{a: 1}", "NaN", "\"\u{01}\"", "\"\\ud800\"", "1e999",
        ])
    func refusesInvalid(_ text: String) {
        #expect(throws: BoundedJSONParser.SyntaxError.self) { try parse(text) }
    }

    @Test("strings must be UTF-8 and hold no NUL: refused, not repaired or cut short by the store")
    func utf8AndNul() {
        for bytes: [UInt8] in [
            Array(#"{"a": "x"#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),  // not UTF-8
            Array(#"{"a": "\n"#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),  // overlong, after an escape
        ] {
            let error = #expect(throws: BoundedJSONParser.SyntaxError.self) { try BoundedJSONParser().parse(bytes) }
            #expect(error?.reason == "a string is not valid UTF-8")
        }
        let nul = #expect(throws: BoundedJSONParser.SyntaxError.self) { try parse(#"{"request": "a\u0000b"}"#) }
        #expect(nul?.reason == "\\u0000 (NUL) is not accepted in strings")
    }

    @Test("a key given twice in one object is an error")
    func duplicateKeys() {
        let error = #expect(throws: PolytopeError.self) { try parse(#"{"a": 1, "a": 2}"#) }
        #expect(error?.message == "The key 'a' is given more than once.")
    }

    @Test("limits are checked while reading")
    func limits() {
        let deep = String(repeating: "[", count: 400) + String(repeating: "]", count: 400)
        let nesting = #expect(throws: PolytopeError.self) { try parse(deep) }
        #expect(nesting?.message.contains("max-request-nesting") == true)
        let values = #expect(throws: PolytopeError.self) {
            try parse("[" + Array(repeating: "1", count: 11).joined(separator: ",") + "]", limits: RequestLimits(maximumValues: 10))
        }
        #expect(values?.message.contains("max-request-values") == true)
        let keys = #expect(throws: PolytopeError.self) {
            try parse(#"{"a": 1, "b": 2, "c": 3}"#, limits: RequestLimits(maximumKeys: 2))
        }
        #expect(keys?.message.contains("max-request-keys") == true)
        #expect((try? parse(String(repeating: "[", count: 32) + String(repeating: "]", count: 32))) != nil)
    }
}
