import Foundation
import PolytopeCore
import Testing

@Suite("Text helpers of the hot paths")
struct TextHelpersTests {
    @Test("constant-time comparison: equal bytes only, whatever the lengths (256 apart included)")
    func constantTime() {
        let secret = Array("correct horse".utf8)
        #expect(ConstantTime.equals(secret, secret))
        #expect(!ConstantTime.equals(secret, Array("correct horsf".utf8)))
        #expect(!ConstantTime.equals(secret, Array("correct".utf8)))
        #expect(!ConstantTime.equals([], secret))
        #expect(ConstantTime.equals([], []))
        // Lengths 1 and 257 differ by 256: the difference must not vanish in a byte.
        #expect(!ConstantTime.equals([0x61], [0x61] + [UInt8](repeating: 0x62, count: 256)))
    }

    @Test("JSON strings decode back to the same text, with or without characters to escape")
    func jsonStrings() throws {
        for text in ["", "plain", "a/b c", "quote \" and \\ back", "line\nbreak\ttab\r", "\u{1}\u{1f}", "é ü 雪 🌧"] {
            let written = JSONText.string(text)
            let decoded = try JSONDecoder().decode(String.self, from: Data(written.utf8))
            #expect(decoded == text, "\(written)")
        }
        #expect(JSONText.string("a/b") == "\"a/b\"")
        #expect(JSONText.object(sortingKeysOf: ["b": "2", "a": "1\n"]) == #"{"a":"1\n","b":"2"}"#)
        #expect(JSONText.object(sortingKeysOf: [:]) == "{}")
    }

    @Test("trimming removes ASCII spaces, tabs and line breaks at both ends only")
    func trimming() {
        #expect(" \t a b \r\n".trimmed == "a b")
        #expect("  ".trimmed == "")
        #expect("é ".trimmed == "é")
        #expect(" x"[...].trimmed == "x")
    }

    @Test("new request ids are version 7, in time order, and differ")
    func requestIdentifiers() {
        let early = RequestIdentifier.timeOrderedUUID(now: Date(timeIntervalSince1970: 1_700_000_000))
        let late = RequestIdentifier.timeOrderedUUID(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early.uuidString.lowercased() < late.uuidString.lowercased())
        let text = early.uuidString
        #expect(Array(text)[14] == "7")
        #expect("89AB".contains(Array(text)[19]))
        let many = Set((0..<1000).map { _ in RequestIdentifier.timeOrderedUUID(now: Date(timeIntervalSince1970: 1_700_000_000)) })
        #expect(many.count == 1000)
    }
}

@Suite("Hex")
struct HexTests {
    @Test("bytes as lower-case hexadecimal, two digits each, as String(format: \"%02x\") wrote them")
    func encode() {
        #expect(Hex.encode([0x00, 0x0f, 0xa5, 0xff]) == "000fa5ff")
        #expect(Hex.encode([UInt8]()) == "")
        let bytes = (0...255).map { UInt8($0) }
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
    }
}
