import Foundation
import PolytopeConfig
import PolytopeCore
import PolytopeServer
import RequestStoreSQLite
import StagingFilesystem
import Testing

@Suite("Configuration of the whole server")
struct DefaultConfigurationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path

    @Test("the shipped polytope.yaml is valid and describes the documented demo")
    func shippedConfiguration() throws {
        let (configuration, _) = try PolytopeConfiguration.load(files: ["\(Self.repositoryRoot)/polytope.yaml"], environment: [:])
        #expect(configuration.server.host == "127.0.0.1")
        #expect(configuration.server.port == PolytopeConfiguration.defaultPort)
        #expect(configuration.server.dataDirectory == "./data")
        #expect(configuration.authentication.accounts.map(\.user.username) == ["demo"])
        let debug = try #require(configuration.catalog["debug"])
        #expect(debug.routes.map(\.name) == ["echo", "raise", "dummy"])
        #expect(debug.limits.total != nil && debug.limits.perUser != nil && !debug.limits.perRole.isEmpty)
    }

    @Test("command-line overrides win over the file")
    func overrides() throws {
        let (configuration, _) = try PolytopeConfiguration.load(
            files: ["\(Self.repositoryRoot)/polytope.yaml"],
            overrides: .init(host: "0.0.0.0", port: 0, dataDirectory: "/tmp/x", logLevel: "debug", logFormat: .json),
            environment: [:]
        )
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 0)
        #expect(configuration.store.path == "/tmp/x/polytope.sqlite")
        #expect(configuration.staging.root == "/tmp/x/staging")
        #expect(configuration.logging.level == "debug" && configuration.logging.format == .json)
    }

    @Test("every section is validated in one pass")
    func everyProblemAtOnce() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        try """
        server: {port: 99999, colour: red}
        store: {type: mongodb}
        worker: {slots: 0, lease: 10s, heartbeat: 8s}
        broker: {max-attempts: many}
        garbage-collector: {age: forever}
        authentication: {users: [{username: a}]}
        collections: {debug: {datasources: [{type: nosuch}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try PolytopeConfiguration.load(files: [file], environment: [:])
        } throws: { error in
            let text = "\(error)"
            let expected = [
                "server.port: 99999 is out of range", "server.colour: unknown key", "store.type: unsupported store type 'mongodb'",
                "worker.slots: 0 is out of range", "worker.heartbeat: heartbeat", "broker.max-attempts: expected an integer",
                "garbage-collector.age: expected a duration", "authentication.users[0]: user 'a' needs a 'password-hash'",
                "collections.debug.datasources[0].type: unknown datasource type 'nosuch'",
            ]
            return expected.allSatisfy { text.contains($0) }
        }
    }

    @Test("role lists parse, with clear errors")
    func roles() throws {
        #expect(try Role.parseList("frontend, broker") == [.frontend, .broker])
        #expect(try Role.parseList("garbage-collector,gc") == [.garbageCollector])
        #expect(throws: RoleError.self) { try Role.parseList("frontend,teapot") }
        #expect(throws: RoleError.self) { try Role.parseList(" , ") }
    }
}
