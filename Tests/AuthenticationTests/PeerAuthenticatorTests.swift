import Authentication
import PolytopeCore
import Testing

@Suite("Peer (federation) authentication")
struct PeerAuthenticatorTests {
    let secret = "a-shared-secret-of-some-length"
    let alice = User(username: "alice", realm: "ecmwf", roles: ["default", "od"], attributes: ["email": "alice@example.int"])

    func credential(peer: String = "site-a", secret: String? = nil, user: User? = nil) -> Credential {
        let value = PeerCredential(peer: peer, secret: secret ?? self.secret, user: user ?? alice).headerValue
        return Credential.parse(header: value)[0]
    }

    @Test("the user the peer forwards is accepted as it was sent, through the header round trip")
    func accepted() async throws {
        let authenticator = PeerAuthenticator(peers: [.init(name: "site-a", secret: secret, realms: ["ecmwf"])])
        #expect(try await authenticator.authenticate(credential()) == alice)
        // polytope-client joins credentials with ", ": the identity must survive that split.
        #expect(Credential.parse(header: "Basic eDp5, " + PeerCredential(peer: "site-a", secret: secret, user: alice).headerValue).count == 2)
    }

    @Test("unknown peers, wrong secrets and malformed values are not credentials; a realm the peer may not speak for is refused with the reason")
    func refused() async throws {
        let authenticator = PeerAuthenticator(peers: [.init(name: "site-a", secret: secret, realms: ["ecmwf"])])
        #expect(try await authenticator.authenticate(credential(peer: "site-z")) == nil)
        #expect(try await authenticator.authenticate(credential(secret: secret + "x")) == nil)
        await #expect(throws: CredentialRefused.self) {
            try await authenticator.authenticate(credential(user: User(username: "bob", realm: "local")))
        }
        for value in ["", "site-a", "site-a:\(secret)", "site-a:\(secret):not base64!", "site-a:\(secret):e30"] {
            #expect(try await authenticator.authenticate(Credential(scheme: "PolytopePeer", value: value)) == nil, "\(value)")
        }
        #expect(try await authenticator.authenticate(Credential(scheme: "Basic", value: "eDp5")) == nil)
    }

    @Test("a user of a realm this server manages comes from its directory: current roles, and refused when unknown or disabled")
    func managedRealm() async throws {
        let directory = ConfiguredUsers(accounts: [
            .init(user: User(username: "demo", roles: ["default"]), password: "x"),
            .init(user: User(username: "gone"), secret: .plainText("x"), disabled: true),
        ])
        let authenticator = PeerAuthenticator(peers: [.init(name: "site-a", secret: secret, realms: ["local", "ecmwf"])], directory: directory)
        let claimed = User(username: "demo", realm: "local", roles: ["admin"])
        #expect(try await authenticator.authenticate(credential(user: claimed)) == User(username: "demo", roles: ["default"]))
        for (name, reason) in [("gone", "is disabled on this server"), ("nobody", "is not known to this server")] {
            await #expect {
                try await authenticator.authenticate(credential(user: User(username: name, realm: "local", roles: ["admin"])))
            } throws: { error in
                (error as? CredentialRefused)?.message == "User '\(name)' of realm 'local' \(reason)."
            }
        }
        #expect(try await authenticator.authenticate(credential()) == alice, "other realms' users are taken as sent")
    }

    @Test("peer names and secrets may not hold separators")
    func tokens() {
        #expect(PeerCredential.isValidToken("site-a"))
        #expect(!PeerCredential.isValidToken("site:a"))
        #expect(!PeerCredential.isValidToken("site,a"))
        #expect(!PeerCredential.isValidToken("site a"))
        #expect(!PeerCredential.isValidToken(""))
    }
}
