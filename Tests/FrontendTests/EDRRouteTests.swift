import Foundation
import Frontend
import Hummingbird
import HummingbirdTesting
import PolytopeServer
import Testing

@Suite("OGC API - EDR front: configuration and routes")
struct EDRRouteTests {
    func load(_ server: String) throws -> PolytopeConfiguration {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "\(server)\ncollections: {debug: {datasources: [{type: echo}]}}\n".write(toFile: file, atomically: true, encoding: .utf8)
        return try PolytopeConfiguration.load(files: [file], environment: [:]).0
    }

    @Test("server.edr-prefix: default edr, slashes trimmed, none turns the front off; /api/v1 refused")
    func prefix() throws {
        #expect(try load("").frontend.edrPrefix == "edr")
        #expect(try load("server: {edr-prefix: /ogc/edr/}").frontend.edrPrefix == "ogc/edr")
        #expect(try load("server: {edr-prefix: none}").frontend.edrPrefix == nil)
        #expect { _ = try load("server: {edr-prefix: api/v1/x}") } throws: { "\($0)".contains("edr-prefix") }
    }

    @Test("server.edr-wait: default 30 s, at most 60 s")
    func wait() throws {
        #expect(try load("").frontend.edrWait == .seconds(30))
        #expect(try load("server: {edr-wait: 0s}").frontend.edrWait == .zero)
        #expect { _ = try load("server: {edr-wait: 2m}") } throws: { "\($0)".contains("edr-wait") }
    }

    @Test("landing page and conformance are public; the rest needs credentials; collections without features are not listed")
    func routes() async throws {
        try await TestServer().test { client in
            let landing = try await client.execute(uri: "/edr", method: .get)
            #expect(landing.status == .ok)
            #expect(String(buffer: landing.body).contains(#""href":"http://localhost/edr/collections""#))
            #expect(try await client.execute(uri: "/edr/conformance", method: .get).status == .ok)
            let anonymous = try await client.execute(uri: "/edr/collections", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(try json(anonymous)["code"] as? String == "NotAuthenticated")
            let listed = try await client.execute(uri: "/edr/collections", method: .get, headers: alice)
            #expect(listed.status == .ok)
            #expect((try json(listed)["collections"] as? [Any])?.isEmpty == true)
            let missing = try await client.execute(uri: "/edr/collections/debug/position?coords=POINT(0%200)", method: .get, headers: alice)
            #expect(missing.status == .notFound)
            #expect(
                try json(missing)["description"] as? String
                    == "Collection 'debug' not found, or it does not extract features; collections with features: none.")
        }
    }
}
