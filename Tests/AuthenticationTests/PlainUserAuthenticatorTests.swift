import Authentication
import Foundation
import PolytopeCore
import Testing

@Suite("Plain user authenticator and password hashes")
struct PlainUserAuthenticatorTests {
    static let hash = try! PasswordHash(hashing: "s3cret:with:colons", rounds: 1000)

    let authenticator = PlainUserAuthenticator(accounts: [
        .init(user: User(username: "demo", roles: ["default"]), password: "pass:word"),
        .init(user: User(username: "other", roles: []), password: "x"),
        .init(user: User(username: "hashed", roles: ["default"]), secret: .hashed(PlainUserAuthenticatorTests.hash)),
    ])

    func basic(_ text: String) -> Credential {
        Credential(scheme: "Basic", value: Data(text.utf8).base64EncodedString())
    }

    @Test("a correct password gives the user; the password may contain ':'")
    func valid() async throws {
        #expect(try await authenticator.authenticate(basic("demo:pass:word"))?.username == "demo")
        #expect(try await authenticator.authenticate(Credential(scheme: "basic", value: basic("other:x").value))?.username == "other")
        #expect(try await authenticator.authenticate(basic("hashed:s3cret:with:colons"))?.username == "hashed")
    }

    @Test(
        "anything else gives no user",
        arguments: ["demo:wrong", "demo:pass:wor", "demo:", "nobody:x", "demo", "", ":pass:word", "hashed:s3cret", "hashed:"]
    )
    func invalid(_ text: String) async throws {
        #expect(try await authenticator.authenticate(basic(text)) == nil)
    }

    @Test("malformed or foreign credentials give no user")
    func malformed() async throws {
        #expect(try await authenticator.authenticate(Credential(scheme: "Basic", value: "%%%")) == nil)
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: basic("demo:pass:word").value)) == nil)
        #expect(authenticator.schemes == ["Basic"])
    }

    @Test("password hashes: salted, round-trip through their text form, and verify only the right password")
    func passwordHashes() throws {
        let first = try PasswordHash(hashing: "correct horse", rounds: 1000)
        let second = try PasswordHash(hashing: "correct horse", rounds: 1000)
        #expect(first.salt != second.salt, "each hash has its own salt")
        #expect(first.encoded.hasPrefix("pbkdf2-sha256$1000$"))
        let parsed = try #require(PasswordHash(encoded: first.encoded))
        #expect(parsed == first)
        #expect(parsed.matches("correct horse"))
        #expect(!parsed.matches("correct horse "))
        for text in ["", "pbkdf2-sha256$x$a$b", "sha1$1000$AAAA$AAAA", "pbkdf2-sha256$1000$AAAA$AAAA"] {
            #expect(PasswordHash(encoded: text) == nil, "\(text)")
        }
        #expect(try PasswordHash(hashing: "x").rounds == PasswordHash.defaultRounds)
    }
}
