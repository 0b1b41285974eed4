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

    var authenticator: APIKeyAuthenticator {
        APIKeyAuthenticator(store: store, configuration: .init(lifetime: .seconds(3600)), wallClock: clock.wallClock)
    }

    @Test("an issued key authenticates as Bearer and EmailKey until it expires; only its hash is stored")
    func lifecycle() async throws {
        defer { directory.remove() }
        let alice = User(username: "alice", roles: ["default"], attributes: ["email": "Alice@Example.int"])
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
}
