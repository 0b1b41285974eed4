import Foundation
import Frontend
import Hummingbird
import PolytopeServer
import PolytopeTestSupport
import Testing

@Suite("Configuration: server.processes-prefix and edr-prefix")
struct ProcessesPrefixConfigurationTests {
    func load(_ server: String) throws -> PolytopeConfiguration {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "\(server)\ncollections: {debug: {datasources: [{type: echo}]}}\n".write(toFile: file, atomically: true, encoding: .utf8)
        return try PolytopeConfiguration.load(files: [file], environment: [:]).0
    }

    @Test("default api, slashes trimmed, none turns the front off")
    func values() throws {
        #expect(try load("").frontend.processesPrefix == "api")
        #expect(try load("server: {processes-prefix: /cds/api/}").frontend.processesPrefix == "cds/api")
        #expect(try load("server: {processes-prefix: none}").frontend.processesPrefix == nil)
    }

    @Test("a prefix overlapping /api/v1 is refused, naming the key")
    func overlap() throws {
        for bad in ["api/v1", "/x/v1", "a/../b", "ui", "ui/x", "/telemetry/", "openapi.yaml"] {
            #expect {
                _ = try load("server: {processes-prefix: \"\(bad)\"}")
            } throws: { error in
                "\(error)".contains("processes-prefix")
            }
        }
    }

    @Test("the EDR prefix: the same checks, and not empty while the web page is at /")
    func edrPrefix() throws {
        for bad in ["ui", "ui/", "/", "openapi.yaml", "telemetry/x", "x/v1"] {
            #expect(throws: (any Error).self, "\(bad)") { _ = try load("server: {edr-prefix: \"\(bad)\"}") }
        }
        #expect(try load("server: {edr-prefix: /, web-page: false}").frontend.edrPrefix == "")
        #expect(try load("server: {edr-prefix: api}").frontend.edrPrefix == "api")
    }

    @Test("accepted prefixes, alone or together, build a router (a collision would stop the process)")
    func acceptedPrefixesBuildARouter() async throws {
        let combinations = [
            "{processes-prefix: api, edr-prefix: api}", "{processes-prefix: /, edr-prefix: /, web-page: false}",
            "{processes-prefix: x, edr-prefix: x/retrieve}", "{processes-prefix: /, edr-prefix: catalogue}",
            "{processes-prefix: UI, edr-prefix: Telemetry}",
        ]
        for server in combinations {
            let text = TestServer.configuration.replacingOccurrences(of: "server: {max-body-size: 64K}", with: "server: \(server)")
            let test = try await TestServer(configuration: text)
            defer { test.directory.remove() }
            #expect(test.server.makeRouter().routes.count > 20, "\(server)")
        }
    }
}
