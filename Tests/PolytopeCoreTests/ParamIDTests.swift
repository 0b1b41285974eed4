import PolytopeCore
import Testing

@Suite("ParamID")
struct ParamIDTests {
    @Test("paramIds and parameter.table are read; anything else is not a number")
    func parse() {
        let cases: [(String, Int?)] = [
            ("167", 167), ("167.128", 167), ("246.228", 228246), ("29.228", 228029), ("228246", 228246),
            ("0", nil), ("-5", nil), ("+5", nil), ("1.255", nil), ("1000.128", nil), ("2t", nil), ("167.", nil), (".128", nil),
            ("1.2.3", nil), ("1234567890", nil), ("", nil),
        ]
        for (text, id) in cases { #expect(ParamID.parse(text) == id, "\(text)") }
    }
}
