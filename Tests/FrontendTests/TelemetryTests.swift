import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PolytopeCore
import PolytopeServer
import PolytopeTestSupport
import RequestStoreSQLite
import Testing

@Suite("Telemetry")
struct TelemetryTests {
    @Test("metrics: Prometheus text with request, HTTP, staging and store series")
    func metrics() async throws {
        let server = try await TestServer()
        try await server.test { client in
            let id = try await client.submitID("datasource: echo\nx: 1")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            _ = try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get, headers: alice)
            _ = try await client.execute(uri: "/no/such/route", method: .get, headers: alice)
            let response = try await client.execute(uri: "/telemetry/v1/metrics", method: .get, headers: alice)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            for expected in [
                #"polytope_requests_submitted_total{collection="debug",datasource="echo"} 1"#,
                #"polytope_requests_finished_total{collection="debug",datasource="echo",status="processed"} 1"#,
                #"polytope_staged_bytes_total{collection="debug",datasource="echo"} 21"#,
                #"polytope_served_bytes_total 21"#,
                #"polytope_requests{collection="debug",status="processed"} 1"#,
                #"polytope_requests{collection="public",status="waiting"} 0"#,
                #"polytope_queue_wait_seconds_count{collection="debug"} 1"#,
                #"polytope_processing_seconds_count{collection="debug",datasource="echo"} 1"#,
                #"polytope_http_requests_total{method="POST",route="/api/v1/requests/{name}",status="202"} 1"#,
                #"polytope_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
                "polytope_worker_slots 2",
                #"polytope_requests_dispatched_total{collection="debug"} 1"#,
                "polytope_dispatch_rounds_total ",
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
        }
    }

    @Test("collections are named only to callers allowed to see them; others get totals")
    func collectionVisibility() async throws {
        let server = try await TestServer()
        try await server.test { client in
            let id = try await client.submitID("datasource: echo")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            let submitted = try await client.submit("x: 1", to: "public")
            let publicID = try #require(submitted.headers[.location]?.split(separator: "/").last.map(String.init))
            #expect(try await client.pollUntilDone(publicID).status == .seeOther)
            let guest = basic("eve", "eve-pw")

            func collections(_ headers: HTTPFields) async throws -> [String: [String: Int]]? {
                try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get, headers: headers))["requestsByCollection"]
                    as? [String: [String: Int]]
            }
            let anonymous = try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get))
            #expect((anonymous["requestsByCollection"] as? [String: Any])?.isEmpty == true)
            #expect((anonymous["requestsByStatus"] as? [String: Int])?["processed"] == 2, "totals include every collection")
            #expect(try await collections(guest) == ["public": ["processed": 1]], "a guest sees the public collection only")
            #expect(try await collections(alice) == ["debug": ["processed": 1], "public": ["processed": 1]])
            let refused = try await client.execute(uri: "/telemetry/v1/summary", method: .get, headers: basic("alice", "wrong"))
            #expect(refused.status == .unauthorized)

            let text = String(buffer: try await client.execute(uri: "/telemetry/v1/metrics", method: .get).body)
            #expect(!text.contains(#"collection="debug""#) && !text.contains(#"collection="public""#), "anonymous: no collection named")
            #expect(!text.contains(#"datasource="echo""#))
            for expected in [
                #"polytope_requests_submitted_total{collection="(hidden)",datasource="(hidden)"} 2"#,
                #"polytope_requests{collection="(hidden)",status="processed"} 2"#,
                #"polytope_requests{collection="(hidden)",status="waiting"} 0"#,
                #"polytope_queue_wait_seconds_count{collection="(hidden)"} 2"#,
                #"polytope_http_requests_total{method="POST",route="/api/v1/requests/{name}",status="202"} 2"#,
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
            let guestText = String(buffer: try await client.execute(uri: "/telemetry/v1/metrics", method: .get, headers: guest).body)
            #expect(guestText.contains(#"polytope_requests{collection="public",status="processed"} 1"#))
            #expect(guestText.contains(#"polytope_requests{collection="(hidden)",status="processed"} 1"#), "debug, unnamed")
            #expect(!guestText.contains(#"collection="debug""#))
            let rootText = String(buffer: try await client.execute(uri: "/telemetry/v1/metrics", method: .get, headers: root).body)
            #expect(rootText.contains(#"polytope_requests{collection="debug",status="processed"} 1"#), "administrators see every collection")
        }
    }

    @Test("summary: counts, queue depth and the worker slots; the pools by name for administrators only")
    func summary() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: echo")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            let summary = try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get))
            #expect((summary["requestsByStatus"] as? [String: Int])?["processed"] == 1)
            #expect(summary["queueDepth"] as? Int == 0)
            let workers = try #require(summary["workers"] as? [String: Any])
            #expect(workers["slots"] as? Int == 2)
            #expect(workers["pools"] == nil, "the pools' names (host, process id) are for administrators")
            for user in [alice, bob] {
                let seen = try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get, headers: user))["workers"] as? [String: Any]
                #expect(seen?["slots"] as? Int == 2 && seen?["pools"] == nil)
            }
            let administrators = try json(try await client.execute(uri: "/telemetry/v1/summary", method: .get, headers: root))
            let pools = try #require((administrators["workers"] as? [String: Any])?["pools"] as? [[String: Any]])
            #expect(pools.count == 1 && pools[0]["slots"] as? Int == 2)
            #expect((pools[0]["id"] as? String)?.contains(":\(ProcessInfo.processInfo.processIdentifier):") == true)
        }
    }

    @Test("every user's requests, for administrators only")
    func adminRequests() async throws {
        try await TestServer().test { client in
            let alices = try await client.submitID("datasource: echo\nowner: alice")
            let bobs = try await client.submitID("datasource: raise", as: bob)
            #expect(try await client.pollUntilDone(alices).status == .seeOther)
            #expect(try await client.pollUntilDone(bobs, as: bob).status == .badRequest)

            #expect(try await client.execute(uri: "/telemetry/v1/requests", method: .get).status == .unauthorized)
            let forbidden = try await client.execute(uri: "/telemetry/v1/requests", method: .get, headers: alice)
            #expect(forbidden.status == .forbidden)
            #expect(try message(forbidden).contains("administrators only"))

            let all = try await client.execute(uri: "/telemetry/v1/requests", method: .get, headers: root)
            let records = try #require(try json(all)["message"] as? [[String: Any]])
            #expect(records.map { $0["id"] as? String } == [bobs, alices])
            let failed = try await client.execute(uri: "/telemetry/v1/requests?status=failed&user=bob", method: .get, headers: root)
            #expect((try json(failed)["message"] as? [[String: Any]])?.map { $0["id"] as? String } == [bobs])
            let bad = try await client.execute(uri: "/telemetry/v1/requests?status=lost", method: .get, headers: root)
            #expect(bad.status == .badRequest)

            let one = try await client.execute(uri: "/telemetry/v1/requests/\(alices)", method: .get, headers: root)
            let record = try #require(try json(one)["message"] as? [String: Any])
            #expect(record["user"] as? String == "alice")
            let history = try #require(record["history"] as? [[String: String]])
            #expect(history.map { $0["status"] } == ["waiting", "queued", "processing", "processed"])
        }
    }

    @Test("a poll of a request the garbage collector removed says it expired")
    func expired() async throws {
        let server = try await TestServer()
        try await server.test { client in
            let id = try await client.submitID("datasource: echo")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            _ = try await server.server.store.purgeFinishedRequests(before: Date().addingTimeInterval(60), limit: 10, at: Date())
            for (uri, method) in [
                ("/api/v1/requests/\(id)", HTTPRequest.Method.get), ("/api/v1/downloads/\(id)", .get), ("/api/v1/requests/\(id)", .delete),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: alice)
                #expect(response.status == .notFound)
                #expect(try message(response).contains("has expired and its data was removed"), "\(method) \(uri)")
            }
            let other = try await client.execute(uri: "/api/v1/requests/\(id)", method: .get, headers: bob)
            #expect(try message(other) == "Request \(id) not found.", "other users learn nothing")
        }
    }
}
