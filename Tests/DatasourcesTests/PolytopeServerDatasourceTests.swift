import PolytopeCore
import PolytopeTestSupport
import Synchronization
import Testing

@testable import Datasources

@Suite("Federation: forwarding the request")
struct PolytopeServerDatasourceTests {
    @Test("the request is polled on the configured server, whatever host its Location names")
    func pollURL() {
        let base = "http://10.0.0.2:8080"
        let id = "01a24ee0-dcca-710e-ad5d-50e53fc2c5d2"
        for location in [
            "/api/v1/requests/\(id)", "http://10.0.0.2:8080/api/v1/requests/\(id)", "http://attacker.example:9/api/v1/requests/\(id)?x=1",
            "https://polytope.example.int/prefix/api/v1/requests/\(id)",
        ] {
            #expect(PolytopeServerDatasource.requestURL(location, base: base) == "\(base)/api/v1/requests/\(id)", "\(location)")
        }
        for location in ["http://attacker.example/collect", "/api/v1/requests/", "/api/v1/requests/a%2F..%2Fb"] {
            #expect(PolytopeServerDatasource.requestURL(location, base: base) == nil, "\(location)")
        }
    }

    static let result = Array("the result of the forwarded request".utf8)

    @Test("a submission answered 503, 502 or 429 is sent again, with the same body and Idempotency-Key, after the wait asked for")
    func submissionOutage() async throws {
        let normal = ScriptedPolytopeServer.polytope(serving: Self.result)
        let remote = try await ScriptedPolytopeServer.start { request in
            guard request.method == "POST" else { return normal(request) }
            switch request.index {
            case 0: return .json(503, #"{"message":"Service temporarily unavailable"}"#, headers: [("Retry-After", "7")])
            case 1: return .answer(502, headers: [("Content-Type", "text/html")], body: Array("<html>Bad Gateway</html>".utf8))
            case 2:
                return .json(
                    429, #"{"message":"Too many failed sign-ins from this address; try again in 1 s."}"#, headers: [("Retry-After", "86400")])
            default: return normal(request)
            }
        }
        let rig = FederationRig(url: remote.url)
        let request = try FederationRig.request()
        #expect(try await rig.retrieve(request) == Self.result)
        let posts = remote.received("POST", "/api/v1/requests/od")
        let key = PolytopeServerDatasource.idempotencyKey(for: request.id, generation: 1)
        #expect(key.contains(request.id.description))
        #expect(posts.count == 4)
        #expect(posts.map { $0.header("Idempotency-Key") } == Array(repeating: key, count: 4))
        #expect(posts.allSatisfy { $0.body == posts[0].body })
        // Retry-After: 7; then the backoff (twice the poll interval, doubling); a day is cut to a minute.
        #expect(rig.clock.sleeps == [.seconds(7), .seconds(4), .seconds(60)])
        await remote.close()
    }

    /// The server a test starts while the datasource waits.
    final class LateServer: Sendable {
        let server = Mutex<ScriptedPolytopeServer?>(nil)
    }

    @Test("a refused connection at submission is waited out: the other server restarting")
    func submissionRefused() async throws {
        let port = try ReservedPort()
        let late = LateServer()
        let clock = SkippingClock { sleep in
            guard sleep == 2 else { return }
            let started = try? await ScriptedPolytopeServer.start(port: port, ScriptedPolytopeServer.polytope(serving: Self.result))
            late.server.withLock { $0 = started }
        }
        let rig = FederationRig(url: "http://127.0.0.1:\(port.port)", clock: clock)
        #expect(try await rig.retrieve(try FederationRig.request()) == Self.result)
        let remote = try #require(late.server.withLock { $0 })
        #expect(remote.received("POST", "/").count == 1)
        #expect(rig.clock.sleeps == [.seconds(2), .seconds(4)])
        await remote.close()
    }

    @Test("the request forwarded again (the next attempt after a crash here) carries the same Idempotency-Key")
    func sameKeyAgain() async throws {
        let remote = try await ScriptedPolytopeServer.start(ScriptedPolytopeServer.polytope(serving: Self.result))
        let rig = FederationRig(url: remote.url)
        let request = try FederationRig.request()
        _ = try await rig.retrieve(request)
        _ = try await rig.retrieve(request)
        _ = try await rig.retrieve(try FederationRig.request())
        let keys = remote.received("POST", "/").map { $0.header("Idempotency-Key") ?? "none" }
        #expect(keys.count == 3)
        #expect(keys[0] == keys[1])
        #expect(keys[2] != keys[0])
        await remote.close()
    }

    @Test("a key whose request was revoked there (409) gives way to the next one")
    func revokedKey() async throws {
        let normal = ScriptedPolytopeServer.polytope(serving: Self.result)
        let remote = try await ScriptedPolytopeServer.start { request in
            guard request.method == "POST", request.header("Idempotency-Key")?.hasSuffix("-1") == true else { return normal(request) }
            return .json(409, #"{"message":"Request 1, submitted with this Idempotency-Key, was revoked; use a new key."}"#)
        }
        let rig = FederationRig(url: remote.url)
        let request = try FederationRig.request()
        #expect(try await rig.retrieve(request) == Self.result)
        #expect(
            remote.received("POST", "/").map { $0.header("Idempotency-Key") }
                == [1, 2].map {
                    PolytopeServerDatasource.idempotencyKey(for: request.id, generation: $0)
                })
        await remote.close()
    }

    @Test("an outage at submission that lasts five minutes fails the request with the other server's reason")
    func submissionOutageGivenUp() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in .json(503, #"{"message":"Service temporarily unavailable"}"#) }
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(message == "The Polytope server at \(remote.url) answered 503 while accepting the request: Service temporarily unavailable")
        let waited = rig.clock.sleeps.reduce(Duration.zero, +)
        #expect(waited > .seconds(240) && waited < .seconds(300), "\(rig.clock.sleeps)")
        #expect(remote.received("POST", "/").count == rig.clock.sleeps.count + 1)
        await remote.close()
    }

    @Test("a submission still failing when the datasource's timeout comes fails with the timeout and the last failure")
    func submissionTimeout() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in
            .json(503, #"{"message":"Service temporarily unavailable"}"#, headers: [("Retry-After", "45")])
        }
        let rig = FederationRig(url: remote.url) { $0.timeout = .seconds(60) }
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) did not deliver the result within 1m (the datasource's timeout); given up. Last failure: "
                + "The Polytope server at \(remote.url) answered 503 while accepting the request: Service temporarily unavailable")
        #expect(rig.clock.sleeps == [.seconds(45)])
        await remote.close()
    }
}
