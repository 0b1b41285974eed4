import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PolytopeHTTP
import Testing

@Suite("CDS / OGC API - Processes routes")
struct ProcessesRouteTests {
    static let privateToken = HTTPField.Name("PRIVATE-TOKEN")!

    @Test("PRIVATE-TOKEN takes an API key, also on the v1 routes the fronts link to; bad and missing keys are 401 problem documents")
    func privateTokenAuthentication() async throws {
        try await TestServer().test { client in
            let issued = try await client.execute(uri: "/api/v1/auth/keys", method: .post, headers: alice, body: ByteBuffer(string: "{}"))
            let key = try #require(try json(issued)["key"] as? String)
            #expect(!key.contains(":"))
            let processes = try await client.execute(uri: "/api/retrieve/v1/processes", method: .get, headers: [Self.privateToken: key])
            #expect(processes.status == .ok)
            let ids = try #require(try json(processes)["processes"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            #expect(ids == ["debug", "public"])
            // The fronts' links to /api/v1/requests/<id> can be followed with the same header.
            let v1 = try await client.execute(uri: "/api/v1/collections", method: .get, headers: [Self.privateToken: key])
            #expect(v1.status == .ok)
            let v1Missing = try await client.execute(uri: "/api/v1/collections", method: .get)
            #expect(try message(v1Missing).hasPrefix("Missing Authorization header"))
            let wrong = try await client.execute(uri: "/api/retrieve/v1/processes", method: .get, headers: [Self.privateToken: "nope"])
            #expect(wrong.status == .unauthorized)
            #expect(try json(wrong)["title"] as? String == "Invalid credentials.")
            let missing = try await client.execute(uri: "/api/retrieve/v1/jobs", method: .get)
            #expect(missing.status == .unauthorized)
            #expect((try json(missing)["title"] as? String)?.contains("PRIVATE-TOKEN") == true)
        }
    }

    @Test("a job is a request: executed here, polled in /api/v1, failed results are 400 with the reason")
    func jobIsRequest() async throws {
        try await TestServer().test { client in
            let body = ByteBuffer(string: #"{"inputs": {"datasource": "raise"}}"#)
            let created = try await client.execute(uri: "/api/retrieve/v1/processes/debug/execution", method: .post, headers: alice, body: body)
            #expect(created.status == .created)
            let id = try #require(try json(created)["jobID"] as? String)
            #expect(try json(created)["status"] as? String == "accepted")
            _ = try await client.pollUntilDone(id)
            let status = try await client.execute(uri: "/api/retrieve/v1/jobs/\(id)", method: .get, headers: alice)
            #expect(try json(status)["status"] as? String == "failed")
            let results = try await client.execute(uri: "/api/retrieve/v1/jobs/\(id)/results", method: .get, headers: alice)
            #expect(results.status == .badRequest)
            #expect((try json(results)["traceback"] as? String)?.contains("fails on purpose") == true)
            let others = try await client.execute(uri: "/api/retrieve/v1/jobs/\(id)", method: .get, headers: bob)
            #expect(others.status == .notFound)
        }
    }

    @Test("bad execution bodies and unknown processes are 4xx problem documents")
    func badInput() async throws {
        try await TestServer().test { client in
            for text in ["", "[]", #"{"inputs": "size: 1"}"#, #"{"request": {}}"#, "{"] {
                let answer = try await client.execute(
                    uri: "/api/retrieve/v1/processes/debug/execution", method: .post, headers: alice, body: ByteBuffer(string: text))
                #expect(answer.status == .badRequest, "\(text)")
                #expect(try json(answer)["title"] is String)
            }
            let exceptions = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
            let unknown = try await client.execute(uri: "/api/retrieve/v1/processes/nonesuch", method: .get, headers: alice)
            #expect(unknown.status == .notFound)
            #expect(try json(unknown)["type"] as? String == exceptions + "no-such-process")
            let noJob = try await client.execute(uri: "/api/retrieve/v1/jobs/00000000-0000-4000-8000-000000000000", method: .get, headers: alice)
            #expect(try json(noJob)["type"] as? String == exceptions + "no-such-job")
            let forbidden = try await client.execute(uri: "/api/retrieve/v1/processes/debug", method: .get, headers: basic("eve", "eve-pw"))
            #expect(forbidden.status == .forbidden)
            #expect(try json(forbidden)["type"] as? String == "about:blank")
        }
    }

    @Test("requests no route takes below a front are answered in its documents; the v1 API keeps its own")
    func unmatchedRoutes() async throws {
        try await TestServer().test { client in
            let costing = try await client.execute(
                uri: "/api/retrieve/v1/processes/debug/costing", method: .post, headers: alice, body: ByteBuffer(string: #"{"inputs": {}}"#))
            #expect(costing.status == .notFound)
            #expect(try json(costing)["type"] as? String == "about:blank")
            #expect(try json(costing)["title"] as? String == "This server has nothing at /api/retrieve/v1/processes/debug/costing.")
            #expect(try json(costing)["status"] as? Double == 404)
            let wrongMethod = try await client.execute(uri: "/api/retrieve/v1/jobs", method: .put, headers: alice)
            #expect(wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.headers[.allow] == "GET, HEAD")
            #expect((try json(wrongMethod)["title"] as? String)?.hasPrefix("PUT is not allowed here") == true)
            let catalogue = try await client.execute(uri: "/api/catalogue/v1/collections/debug", method: .get, headers: alice)
            #expect(catalogue.status == .notFound)
            #expect(try json(catalogue)["title"] is String)
            let edr = try await client.execute(uri: "/edr/collections/debug/items", method: .get, headers: alice)
            #expect(edr.status == .notFound)
            #expect(try json(edr)["code"] as? String == "NotFound")
            let native = try await client.execute(uri: "/api/v1/nonesuch", method: .get, headers: alice)
            #expect(native.status == .notFound)
            #expect(try json(native)["message"] as? String == "This server has nothing at /api/v1/nonesuch.")
        }
    }

    @Test("check_authentication's route names who signed in, or answers 401")
    func verifyToken() async throws {
        try await TestServer().test { client in
            let path = "/api/profiles/v1/account/verification/pat"
            let signedIn = try await client.execute(uri: path, method: .post, headers: alice)
            #expect(signedIn.status == .ok)
            #expect(try json(signedIn)["id"] as? String == "alice")
            let anonymous = try await client.execute(uri: path, method: .post)
            #expect(anonymous.status == .unauthorized)
            #expect(try json(anonymous)["title"] is String)
        }
    }
}
