import Authentication
import Foundation
import Logging
import PolytopeCore
import PolytopeTestSupport
import RequestStoreSQLite
import Testing

@Suite("API keys")
struct APIKeyAuthenticatorTests {
    let directory: TemporaryDirectory
    let store: SQLiteRequestStore
    let clock = ManualClock()

    init() throws {
        directory = try TemporaryDirectory()
        store = try SQLiteRequestStore(configuration: .init(path: directory.file("db.sqlite")), logger: Logger.quiet)
    }

    static let alice = User(username: "alice", roles: ["default"], attributes: ["email": "Alice@Example.int"])
    static let bob = User(username: "bob")

    var authenticator: APIKeyAuthenticator {
        authenticator(users: [Self.alice, Self.bob])
    }

    /// An authenticator whose configuration holds `users` (and `disabled`, disabled).
    func authenticator(users: [User], disabled: [User] = []) -> APIKeyAuthenticator {
        let accounts =
            users.map { PlainUserAuthenticator.Account(user: $0, password: "x") }
            + disabled.map { PlainUserAuthenticator.Account(user: $0, secret: .plainText("x"), disabled: true) }
        return APIKeyAuthenticator(
            store: store, directory: ConfiguredUsers(accounts: accounts), configuration: .init(lifetime: .seconds(3600)),
            wallClock: clock.wallClock)
    }

    @Test("an authenticator of one label (the web page's sessions) takes keys of that label only")
    func oneLabel() async throws {
        defer { directory.remove() }
        let sessions = APIKeyAuthenticator(
            store: store, directory: ConfiguredUsers(accounts: [.init(user: Self.alice, password: "x")]), wallClock: clock.wallClock,
            acceptingOnlyWebSessions: true)
        let (session, _) = try await sessions.issueKey(for: Self.alice, label: APIKeyRecord.webSessionLabel, lifetime: .seconds(60))
        let (other, _) = try await authenticator.issueKey(for: Self.alice, label: "laptop")
        #expect(try await sessions.authenticate(Credential(scheme: "Bearer", value: session)) == Self.alice)
        #expect(try await sessions.authenticate(Credential(scheme: "Bearer", value: other)) == nil)
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: session)) == Self.alice)
    }

    @Test("a user's sessions beyond the newest few are revoked, other keys and users untouched; a key's sessions are sessions too")
    func sessionCap() async throws {
        defer { directory.remove() }
        var sessions: [String] = []
        for index in 0..<7 {
            let label = APIKeyRecord.webSessionLabel(startedWithKey: index.isMultiple(of: 2) ? nil : "k\(index)")
            sessions.append(try await authenticator.issueKey(for: Self.alice, label: label).key)
            clock.advance(by: .seconds(1))
        }
        let (laptop, _) = try await authenticator.issueKey(for: Self.alice, label: "laptop")
        let (bobs, _) = try await authenticator.issueKey(for: Self.bob, label: APIKeyRecord.webSessionLabel)
        #expect(try await authenticator.revokeOldSessions(of: Self.alice, keeping: 3) == 4)
        for (index, session) in sessions.enumerated() {
            let user = try await authenticator.authenticate(Credential(scheme: "Bearer", value: session))
            #expect((user != nil) == (index >= 4), "session \(index)")
        }
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: laptop)) == Self.alice)
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: bobs)) == Self.bob)
    }

    @Test("an issued key authenticates as Bearer and EmailKey until it expires; only its hash is stored")
    func lifecycle() async throws {
        defer { directory.remove() }
        let alice = Self.alice
        let (key, record) = try await authenticator.issueKey(for: alice, label: "test")
        #expect(key.count >= 40)
        #expect(record.keyHash == APIKeyAuthenticator.hash(key) && record.keyHash != key)
        #expect(record.expiresAt == clock.date.addingTimeInterval(3600))
        #expect(try await store.apiKeys(ofUser: "alice").map(\.id) == [record.id])

        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: key)) == alice)
        #expect(try await authenticator.authenticate(Credential(scheme: "EmailKey", value: "alice@example.int:\(key)")) == alice)
        #expect(try await authenticator.authenticate(Credential(scheme: "EmailKey", value: "mallory@example.int:\(key)")) == nil)
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: key + "x")) == nil)
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: "")) == nil)
        #expect(try await authenticator.authenticate(Credential(scheme: "Basic", value: key)) == nil)

        clock.advance(by: .seconds(3601))
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: key)) == nil, "expired")
    }

    @Test("a revoked key stops working at once")
    func revocation() async throws {
        defer { directory.remove() }
        let (key, record) = try await authenticator.issueKey(for: User(username: "bob"), label: "")
        #expect(try await store.revokeAPIKey(id: record.id, at: clock.date))
        #expect(try await !store.revokeAPIKey(id: record.id, at: clock.date), "revoking twice finds nothing")
        #expect(try await authenticator.authenticate(Credential(scheme: "Bearer", value: key)) == nil)
        #expect(try await store.apiKeys(ofUser: nil).first?.revokedAt == clock.date)
    }

    @Test("a key follows its configured user: current roles and attributes, refused once the user is removed or disabled")
    func followsTheConfiguration() async throws {
        defer { directory.remove() }
        let admin = User(username: "carol", roles: ["default", "admin"], attributes: ["email": "carol@example.int"])
        let (key, _) = try await authenticator(users: [admin]).issueKey(for: admin, label: "")
        let bearer = Credential(scheme: "Bearer", value: key)
        #expect(try await authenticator(users: [admin]).authenticate(bearer)?.roles == ["default", "admin"])

        var demoted = admin
        demoted.roles = ["default"]
        demoted.attributes["email"] = "carol@new.example.int"
        #expect(try await authenticator(users: [demoted]).authenticate(bearer) == demoted, "roles and attributes as configured now")
        let oldEmail = Credential(scheme: "EmailKey", value: "carol@example.int:\(key)")
        #expect(try await authenticator(users: [demoted]).authenticate(oldEmail) == nil, "the e-mail is the current one")

        #expect(try await authenticator(users: [Self.alice]).authenticate(bearer) == nil, "removed from the configuration")
        #expect(try await authenticator(users: [Self.alice], disabled: [admin]).authenticate(bearer) == nil, "disabled")
        var elsewhere = admin
        elsewhere.realm = "other"
        #expect(try await authenticator(users: [elsewhere]).authenticate(bearer) == nil, "same name in another realm is someone else")
        #expect(try await authenticator(users: [admin]).authenticate(bearer) != nil, "valid again once configured again")
    }

    @Test("a key of a user from a realm the server does not manage keeps the roles it was issued with")
    func unmanagedRealm() async throws {
        defer { directory.remove() }
        let external = User(username: "dave", realm: "ecmwf", roles: ["default"])
        let (key, _) = try await authenticator.issueKey(for: external, label: "")
        #expect(try await authenticator(users: []).authenticate(Credential(scheme: "Bearer", value: key)) == external)
        #expect(ConfiguredUsers(accounts: []).standing(of: external) == .unmanaged)
        #expect(ConfiguredUsers(accounts: []).standing(of: Self.bob) == .removed, "local is always managed")
    }
}
