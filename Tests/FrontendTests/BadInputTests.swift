import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PolytopeTestSupport
import Testing

@Suite("REST API: bad input gets a precise 4xx and loses nothing")
struct BadInputTests {
    static let malformed: [(body: String, status: HTTPResponse.Status, message: String)] = [
        ("", .badRequest, "The request body is empty"),
        ("{not json", .badRequest, "The request body is not a JSON object"),
        ("[1, 2]", .badRequest, "The request body is not a JSON object"),
        (#"{"request": "a: 1"}"#, .badRequest, "The request body has no 'verb'"),
        (#"{"verb": 3, "request": "a: 1"}"#, .badRequest, "'verb' must be a string"),
        (#"{"verb": "fetch", "request": "a: 1"}"#, .badRequest, "Unknown verb 'fetch'; this server supports: retrieve, archive."),
        (#"{"verb": "archive", "request": {}, "url": 3}"#, .badRequest, "'url' must be a string"),
        (#"{"verb": "retrieve"}"#, .badRequest, "The request body has no 'request'"),
        (#"{"verb": "retrieve", "request": [1]}"#, .badRequest, "'request' must be a string"),
        (#"{"verb": "retrieve", "request": "a: [1, 2"}"#, .badRequest, "The request is neither YAML/JSON nor MARS text"),
        (
            #"{"verb": "retrieve", "request": "datasource: nope"}"#, .badRequest,
            "No datasource of collection 'debug' accepts this request:\n- echo: datasource=nope is not allowed (allowed: echo)\n- raise: datasource=nope is not allowed (allowed: raise)\n- dummy: datasource=nope is not allowed (allowed: dummy)"
        ),
        (#"{"verb": "retrieve", "request": "size: lots"}"#, .badRequest, "- dummy: size=lots is not a number of bytes"),
        (#"{"verb": "retrieve", "request": "size: 99999999999"}"#, .badRequest, "larger than the maximum"),
    ]

    @Test("malformed submissions", arguments: malformed)
    func submissions(_ body: String, _ status: HTTPResponse.Status, _ expected: String) async throws {
        try await TestServer().test { client in
            let response = try await client.execute(
                uri: "/api/v1/requests/debug", method: .post, headers: alice, body: ByteBuffer(string: body)
            )
            #expect(response.status == status)
            #expect(response.headers[.contentType] == "application/json")
            let text = try message(response)
            #expect(text.contains(expected), "\(text)")
            let list = try await client.execute(uri: "/api/v1/requests", method: .get, headers: alice)
            #expect((try json(list)["message"] as? [Any])?.isEmpty == true, "nothing was stored")
        }
    }

    @Test("unknown and forbidden collections")
    func collections() async throws {
        try await TestServer().test { client in
            let unknown = try await client.submit("a: 1", to: "nope")
            #expect(unknown.status == .notFound)
            #expect(try message(unknown) == "Collection 'nope' not found; available collections: debug, public.")
            let forbidden = try await client.submit("a: 1", to: "debug", as: basic("eve", "eve-pw"))
            #expect(forbidden.status == .forbidden)
            #expect(try message(forbidden).contains("not allowed to use collection 'debug'"))
        }
    }

    @Test("an oversize body is refused with 413")
    func oversize() async throws {
        try await TestServer().test { client in
            let text = String(repeating: "a", count: 70_000)
            let response = try await client.submit("x: \(text)")
            #expect(response.status == .contentTooLarge)
            #expect(try message(response) == "The request body is larger than the limit of 65536 bytes.")
        }
    }

    @Test(
        "authentication failures: 401 with WWW-Authenticate and a reason, never 'expired'",
        arguments: [
            (nil, "Missing Authorization header"),
            ("Basic " + Data("alice:wrong".utf8).base64EncodedString(), "Invalid credentials."),
            ("Basic " + Data("nobody:x".utf8).base64EncodedString(), "Invalid credentials."),
            ("Basic %%%notbase64", "Invalid credentials."),
            ("Bearer abc", "Invalid credentials."),
            ("EmailKey a@b.int:abc", "Invalid credentials."),
            ("Digest username=x", "Unsupported authorization scheme 'Digest'; this server accepts: Basic, Bearer, EmailKey."),
            ("Negotiate", "Unsupported authorization scheme 'Negotiate'"),
        ] as [(String?, String)]
    )
    func authentication(_ header: String?, _ expected: String) async throws {
        try await TestServer().test { client in
            let headers: HTTPFields = header.map { [.authorization: $0] } ?? [:]
            let response = try await client.execute(uri: "/api/v1/collections", method: .get, headers: headers)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic realm=\"polytope\"") == true)
            let text = try message(response)
            #expect(text.contains(expected), "\(text)")
            #expect(!text.lowercased().contains("expired"))
        }
    }

    @Test("several credentials in one header: one valid one is enough")
    func multipleCredentials() async throws {
        try await TestServer().test { client in
            let valid = alice[.authorization]!
            let response = try await client.execute(
                uri: "/api/v1/collections", method: .get, headers: [.authorization: "EmailKey a@b:KEY, Bearer junk, \(valid)"]
            )
            #expect(response.status == .ok)
        }
    }

    @Test("a header with many credentials is refused before any is checked")
    func credentialAmplification() async throws {
        try await TestServer().test { client in
            let many = (0..<40).map { "Basic " + Data("alice:bad\($0)".utf8).base64EncodedString() }.joined(separator: ", ")
            let response = try await client.execute(uri: "/api/v1/collections", method: .get, headers: [.authorization: many])
            #expect(response.status == .unauthorized)
            #expect(try message(response) == "The Authorization header carries 40 credentials; at most 3 are accepted.")
            let valid = try await client.execute(uri: "/api/v1/collections", method: .get, headers: alice)
            #expect(valid.status == .ok, "refused credentials were not counted as failures")
        }
    }

    @Test("after too many failed sign-ins for one user, sign-ins are refused with 429 and Retry-After without being checked")
    func failedSignInsThrottled() async throws {
        // A window of an hour: the bucket must not refill while a loaded machine runs the ten
        // failures (the default refills one failure per 6 s).
        let configuration = TestServer.configuration.replacingOccurrences(
            of: "authentication:\n", with: "authentication:\n  failed-logins: {window: 1h}\n")
        try await TestServer(configuration: configuration).test { client in
            for attempt in 0..<10 {
                let response = try await client.execute(uri: "/api/v1/collections", method: .get, headers: basic("bob", "wrong\(attempt)"))
                #expect(response.status == .unauthorized)
            }
            let throttled = try await client.execute(uri: "/api/v1/collections", method: .get, headers: bob)
            #expect(throttled.status == .tooManyRequests)
            #expect(try message(throttled).hasPrefix("Too many failed sign-ins for this user; try again in "))
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
            let other = try await client.execute(uri: "/api/v1/collections", method: .get, headers: alice)
            #expect(other.status == .ok, "other users are not affected")
        }
    }

    @Test("each wrong password counts, even beside a good credential of another user or two more guesses in the header")
    func guessesBesideGoodCredentialsCount() async throws {
        let configuration = TestServer.configuration.replacingOccurrences(
            of: "authentication:\n", with: "authentication:\n  failed-logins: {window: 1h, per-address: 1000}\n")
        try await TestServer(configuration: configuration).test { client in
            let aliceBasic = alice[.authorization]!
            // Alice's good password carries guesses at bob's: each is counted, and her requests still pass.
            for attempt in 0..<3 {
                let guess = "Basic " + Data("bob:guess\(attempt)".utf8).base64EncodedString()
                let response = try await client.execute(uri: "/api/v1/user", method: .get, headers: [.authorization: "\(guess), \(aliceBasic)"])
                #expect(response.status == .ok)
            }
            // Three guesses in one header count as three.
            let three = (3..<6).map { "Basic " + Data("bob:guess\($0)".utf8).base64EncodedString() }.joined(separator: ", ")
            #expect(try await client.execute(uri: "/api/v1/user", method: .get, headers: [.authorization: three]).status == .unauthorized)
            for attempt in 6..<10 {
                let response = try await client.execute(uri: "/api/v1/user", method: .get, headers: basic("bob", "wrong\(attempt)"))
                #expect(response.status == .unauthorized)
            }
            let throttled = try await client.execute(uri: "/api/v1/user", method: .get, headers: bob)
            #expect(throttled.status == .tooManyRequests, "10 wrong passwords of bob were counted")
            // A wrong key before a good password is not a guess: it does not count.
            for _ in 0..<12 {
                let response = try await client.execute(
                    uri: "/api/v1/user", method: .get, headers: [.authorization: "EmailKey alice@example.com:STALE, \(aliceBasic)"])
                #expect(response.status == .ok)
            }
        }
    }

    @Test("unknown routes, ids and methods answer JSON 404s (a page under /ui); the liveness route needs no credentials")
    func routes() async throws {
        try await TestServer().test { client in
            let test = try await client.execute(uri: "/api/v1/test", method: .get)
            #expect(test.status == .ok)
            #expect(try message(test) == "Polytope server is alive")
            for uri in ["/api/v1/nothing", "/api/v2/requests", "/nothing", "/ui/nothing"] {
                let response = try await client.execute(uri: uri, method: .get, headers: alice)
                #expect(response.status == .notFound, "\(uri)")
                // The web page answers in pages, so that a browser shows the message.
                #expect(response.headers[.contentType] == (uri.hasPrefix("/ui/") ? "text/html; charset=utf-8" : "application/json"))
            }
            let root = try await client.execute(uri: "/", method: .get)
            #expect(root.status == .seeOther, "/ is the web page")
            #expect(root.headers[.location] == "/ui/requests")
            for id in ["0b8e1d4e-0000-4000-8000-000000000000", "..%2F..%2Fetc%2Fpasswd", "not-an-id"] {
                let response = try await client.execute(uri: "/api/v1/requests/\(id)", method: .get, headers: alice)
                #expect(response.status == .notFound, "\(id)")
                let download = try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get, headers: alice)
                #expect(download.status == .notFound, "\(id)")
            }
            let security = try await client.execute(uri: "/api/v1/test", method: .get)
            #expect(security.headers[.xContentTypeOptions] == "nosniff")
            #expect(security.headers[.cacheControl] == "no-store")
        }
    }

    @Test("telemetry: health, readiness and a summary")
    func telemetry() async throws {
        try await TestServer().test { client in
            #expect(try await client.execute(uri: "/telemetry/v1/health", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/telemetry/v1/ready", method: .get)
            #expect(ready.status == .ok)
            #expect(try json(ready)["status"] as? String == "ready")
            _ = try await client.submitID("datasource: echo")
            let summary = try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get, headers: alice))
            let byCollection = try #require(summary["requestsByCollection"] as? [String: [String: Int]])
            #expect(byCollection["debug"]?.values.reduce(0, +) == 1)
        }
    }
}

@Suite("REST API: API keys")
struct APIKeyRouteTests {
    @Test("polytope login: a password gets a key; the key works as Bearer and EmailKey; a key cannot make keys")
    func login() async throws {
        try await TestServer().test { client in
            let issued = try await client.execute(uri: "/api/v1/auth/keys", method: .post, headers: alice, body: ByteBuffer(string: "{}"))
            #expect(issued.status == .ok)
            let body = try json(issued)
            let key = try #require(body["key"] as? String)
            let expires = try #require(body["expires"] as? String)
            #expect(try Date(expires, strategy: .iso8601) > Date().addingTimeInterval(300 * 86_400))

            let bearer = try await client.execute(uri: "/api/v1/collections", method: .get, headers: [.authorization: "Bearer \(key)"])
            #expect(bearer.status == .ok)
            let emailKey = try await client.execute(uri: "/api/v1/user", method: .get, headers: [.authorization: "EmailKey alice@x.int:\(key)"])
            #expect(emailKey.status == .ok)
            #expect(try json(emailKey)["username"] as? String == "alice")

            let again = try await client.execute(uri: "/api/v1/auth/keys", method: .post, headers: [.authorization: "Bearer \(key)"])
            #expect(again.status == .forbidden)
            #expect(try message(again).contains("cannot be used to create API keys"))
            let wrong = try await client.execute(uri: "/api/v1/auth/keys", method: .post, headers: basic("alice", "nope"))
            #expect(wrong.status == .unauthorized)
        }
    }
}
