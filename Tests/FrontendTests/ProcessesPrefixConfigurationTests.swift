import Foundation
import Frontend
import PolytopeServer
import Testing

@Suite("Configuration: server.processes-prefix")
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
        for bad in ["api/v1", "/x/v1", "a/../b"] {
            #expect {
                _ = try load("server: {processes-prefix: \"\(bad)\"}")
            } throws: { error in
                "\(error)".contains("processes-prefix")
            }
        }
    }
}
