import Authentication
import Foundation
import PolytopeCore
import Testing

@Suite("Plain user authenticator")
struct PlainUserAuthenticatorTests {
    let authenticator = PlainUserAuthenticator(accounts: [
        .init(user: User(username: "demo", roles: ["default"]), password: "pass:word"),
        .init(user: User(username: "other", roles: []), password: "x"),
    ])

    func basic(_ text: String) -> Credential {
        Credential(scheme: "Basic", value: Data(text.utf8).base64EncodedString())
    }

    @Test("a correct password gives the user; the password may contain ':'")
    func valid() async throws {
        #expect(try await authenticator.authenticate(basic("demo:pass:word"))?.username == "demo")
        #expect(try await authenticator.authenticate(Credential(scheme: "basic", value: basic("other:x").value))?.username == "other")
    }

    @Test(
        "anything else gives no user",
        arguments: ["demo:wrong", "demo:pass:wor", "demo:", "nobody:x", "demo", "", ":pass:word"]
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
}
