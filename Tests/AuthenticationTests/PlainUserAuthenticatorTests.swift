import Authentication
import Foundation
import PolytopeCore
import Synchronization
import Testing

@Suite("Plain user authenticator and password hashes")
struct PlainUserAuthenticatorTests {
    static let hash = try! PasswordHash(hashing: "s3cret:with:colons", rounds: 1000)

    let authenticator = PlainUserAuthenticator(accounts: [
        .init(user: User(username: "demo", roles: ["default"]), password: "pass:word"),
        .init(user: User(username: "other", roles: []), password: "x"),
        .init(user: User(username: "hashed", roles: ["default"]), secret: .hashed(PlainUserAuthenticatorTests.hash)),
        .init(user: User(username: "gone", roles: ["default"]), secret: .plainText("x"), disabled: true),
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
        "anything else gives no user, and a disabled user cannot sign in",
        arguments: ["gone:x", "demo:wrong", "demo:pass:wor", "demo:", "nobody:x", "demo", "", ":pass:word", "hashed:s3cret", "hashed:"]
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

@Suite("Password checks: bounded, off the shared threads, the same cost for every refusal")
struct PasswordCheckCostTests {
    static let hash = try! PasswordHash(hashing: "right", rounds: 1000)
    static let accounts: [PlainUserAuthenticator.Account] = [
        .init(user: User(username: "plain", roles: []), password: "right"),
        .init(user: User(username: "hashed", roles: []), secret: .hashed(hash)),
    ]

    func basic(_ text: String) -> Credential {
        Credential(scheme: "Basic", value: Data(text.utf8).base64EncodedString())
    }

    /// A pool that refuses every check shows which sign-ins need a hash.
    @Test("a wrong plain-text password, an unknown user and a wrong hashed password each cost a hash; a right plain-text password does not")
    func everyRefusalHashes() async throws {
        let refusing = PasswordHashingPool(configuration: .init(threads: 1, maximumPending: 0))
        let authenticator = PlainUserAuthenticator(accounts: Self.accounts, hashing: refusing)
        #expect(try await authenticator.authenticate(basic("plain:right"))?.username == "plain")
        for text in ["plain:wrong", "nobody:x", "hashed:wrong", "hashed:right"] {
            let error = await #expect(throws: PolytopeError.self, "\(text)") { try await authenticator.authenticate(basic(text)) }
            #expect(error?.code == .unavailable)
            #expect(error?.retryAfter == 1)
        }
    }

    @Test("a known user whose hash has fewer rounds is refused no sooner than an unknown name")
    func refusalsCostTheMostRounds() async throws {
        let weak = try PasswordHash(hashing: "right", rounds: 1)
        let strong = try PasswordHash(hashing: "other", rounds: 300_000)
        // The rounds added to a refusal make up the difference to the costliest hash.
        typealias Authenticator = PlainUserAuthenticator
        #expect(Authenticator.paddingRounds(checking: .hashed(weak), decoy: .hashed(strong))?.rounds == 299_999)
        #expect(Authenticator.paddingRounds(checking: .hashed(strong), decoy: .hashed(strong)) == nil)
        let plain = Authenticator.paddingRounds(checking: .plainText("x"), decoy: .hashed(strong))
        #expect(plain == nil, "a plain-text one is checked against the decoy itself")

        // And they are spent: measured in turns, fastest of five, so that load on the machine
        // slows both alike. Without them the weak user's refusal costs one round, thousands
        // of times less than the unknown name's.
        let authenticator = PlainUserAuthenticator(accounts: [
            .init(user: User(username: "weak", roles: []), secret: .hashed(weak)),
            .init(user: User(username: "strong", roles: []), secret: .hashed(strong)),
        ])
        let clock = ContinuousClock()
        var fastest = (unknown: Duration.seconds(3600), known: Duration.seconds(3600))
        for _ in 0..<5 {
            var start = clock.now
            #expect(try await authenticator.authenticate(basic("nobody:x")) == nil)
            fastest.unknown = min(fastest.unknown, clock.now - start)
            start = clock.now
            #expect(try await authenticator.authenticate(basic("weak:wrong")) == nil)
            fastest.known = min(fastest.known, clock.now - start)
        }
        #expect(fastest.known > fastest.unknown / 10, "known \(fastest.known), unknown \(fastest.unknown)")
        #expect(try await authenticator.authenticate(basic("weak:right"))?.username == "weak")
    }

    @Test("Basic with extra padding or characters is refused")
    func canonicalBase64() async throws {
        let authenticator = PlainUserAuthenticator(accounts: Self.accounts)
        let canonical = Data("plain:right".utf8).base64EncodedString()
        #expect(try await authenticator.authenticate(Credential(scheme: "Basic", value: canonical))?.username == "plain")
        for value in [canonical + "=", canonical + "==", canonical.replacingOccurrences(of: "=", with: ""), " " + canonical] {
            #expect(try await authenticator.authenticate(Credential(scheme: "Basic", value: value)) == nil, "\(value)")
        }
    }

    @Test("at most the configured number of checks wait; the rest are refused at once")
    func boundedQueue() async throws {
        let pool = PasswordHashingPool(configuration: .init(threads: 1, maximumPending: 2))
        let gate = BlockingGate()
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await pool.run {
                        gate.waitWhileClosed()
                        return true
                    }
                }
            }
            // Wait until both are in the pool, then a third is refused.
            while pool.pendingChecks < 2 { try await Task.sleep(for: .milliseconds(5)) }
            let refused = await #expect(throws: PolytopeError.self) { try await pool.run { true } }
            #expect(refused?.code == .unavailable)
            gate.open()
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes == [true, true])
        #expect(try await pool.run { 7 } == 7)
    }

    @Test("a check whose client has disconnected is dropped before it runs")
    func abandoned() async throws {
        let pool = PasswordHashingPool()
        let ran = Latch()
        await #expect(throws: CancellationError.self) {
            try await CallerConnection.$current.withValue(ClosedConnection()) {
                try await pool.run { ran.open() }
            }
        }
        #expect(!ran.isOpen)
    }
}

/// A client connection that has closed.
private struct ClosedConnection: ConnectionLiveness {
    var isOpen: Bool { false }
}

/// Holds a hashing thread until opened (the pool's threads may block; that is their purpose).
private final class BlockingGate: Sendable {
    private let opened = Atomic<Bool>(false)

    func open() { opened.store(true, ordering: .relaxed) }

    func waitWhileClosed() {
        while !opened.load(ordering: .relaxed) { usleep(1000) }
    }
}
