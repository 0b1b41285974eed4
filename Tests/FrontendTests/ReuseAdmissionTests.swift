import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `reuse-results` and `max-waiting-per-user` together, on every front that submits.
@Suite("Reused results and admission")
struct ReuseAdmissionTests {
    static let configuration = """
        broker: {poll-interval: 50ms}
        worker: {slots: 2, poll-interval: 50ms, lease: 10s, heartbeat: 2s, shutdown-grace: 100ms}
        authentication:
          users:
            - {username: alice, password: alice-pw, roles: [default]}
            - {username: bob, password: bob-pw, roles: [default]}
        collections:
          debug:
            roles: [default]
            reuse-results: 10m
            limits: {per-user: 1, max-waiting-per-user: 1}
            datasources:
              - {name: slow, type: dummy, rate: 1K, max-size: 1M, match: {datasource: slow}}
              - {name: quick, type: dummy, max-size: 1M, match: {datasource: quick}}
        """

    /// Submits `text` through the REST API and waits until it is active (processing) or done.
    static func running(_ client: any TestClientProtocol, _ text: String) async throws -> String {
        let submitted = try await client.submit(text)
        let answer = "\(submitted.status): \(String(buffer: submitted.body))"
        let id = try #require(try json(submitted)["id"] as? String, "\(answer)")
        for _ in 0..<200 {
            let status = try json(try await client.execute(uri: "/api/v1/requests/\(id)", method: .get, headers: alice))["status"] as? String
            if status == "processing" || status == nil { return id }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("request \(id) never started")
        return id
    }

    @Test("a retrieval answered from an earlier result is accepted at max-waiting-per-user; a new one gets 429")
    func reuseIsNotAdmissionLimited() async throws {
        try await TestServer(configuration: Self.configuration).test { client in
            let first = try await client.submitID("datasource: quick\nsize: 101")
            #expect(try await client.pollUntilDone(first).status == .seeOther)
            _ = try await Self.running(client, "datasource: slow\nsize: 100000")  // alice's one active place
            let held = try await client.submit("datasource: quick\nsize: 102")
            #expect(held.status == .accepted)  // waiting: alice is at max-waiting-per-user 1

            let refused = try await client.submit("datasource: quick\nsize: 103")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] != nil)

            let reused = try await client.submit("datasource: quick\nsize: 101")
            #expect(reused.status == .accepted)
            #expect(try json(reused)["status"] as? String == "processed")
            #expect(try message(reused).contains("Answered from the staged result of an identical request"))
        }
    }

    @Test("the CDS / OGC API - Processes front answers an identical job from the earlier result, even at the waiting limit")
    func processesFrontReuses() async throws {
        try await TestServer(configuration: Self.configuration).test { client in
            let first = try await client.submitID("datasource: quick\nsize: 201")
            #expect(try await client.pollUntilDone(first).status == .seeOther)
            _ = try await Self.running(client, "datasource: slow\nsize: 100000")
            #expect(try await client.submit("datasource: quick\nsize: 102").status == .accepted)

            let execute = "/api/retrieve/v1/processes/debug/execution"
            let fresh = try await client.execute(
                uri: execute, method: .post, headers: alice, body: ByteBuffer(string: #"{"inputs": {"datasource": "quick", "size": "202"}}"#))
            #expect(fresh.status == .tooManyRequests)
            let created = try await client.execute(
                uri: execute, method: .post, headers: alice, body: ByteBuffer(string: #"{"inputs": {"datasource": "quick", "size": "201"}}"#))
            #expect(created.status == .created)
            #expect(try json(created)["status"] as? String == "successful")
        }
    }
}
