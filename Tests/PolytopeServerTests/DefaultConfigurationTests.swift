import Foundation
import PolytopeConfig
import PolytopeCore
import PolytopeServer
import RequestStorePostgres
import RequestStoreSQLite
import StagingFilesystem
import StagingS3
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
        guard case .sqlite(let store) = configuration.store, case .filesystem(let staging) = configuration.staging else {
            Issue.record("the default backends are SQLite and the filesystem")
            return
        }
        #expect(store.path == "/tmp/x/polytope.sqlite")
        #expect(staging.root == "/tmp/x/staging")
        #expect(configuration.logging.level == "debug" && configuration.logging.format == .json)
    }

    @Test("every section is validated in one pass")
    func everyProblemAtOnce() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        try """
        server: {port: 99999, colour: red, public-url: polytope.example.int}
        store: {type: mongodb}
        worker: {slots: 0, lease: 10s, heartbeat: 8s}
        broker: {max-attempts: many}
        garbage-collector: {age: forever}
        authentication: {users: [{username: a, roles: [default], email: a@example.int}, {username: b, password: "", disabled: true},
          {username: "c/d", password: x}, {username: " e", password: x}, {username: f, realm: "x/y", password: x}]}
        collections: {debug: {datasources: [{type: nosuch}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try PolytopeConfiguration.load(files: [file], environment: [:])
        } throws: { error in
            let text = "\(error)"
            let expected = [
                "server.port: 99999 is out of range", "server.colour: unknown key",
                "store.type: expected one of sqlite, postgres, postgresql, found \"mongodb\"",
                "worker.slots: 0 is out of range", "worker.heartbeat: heartbeat", "broker.max-attempts: expected an integer",
                "garbage-collector.age: expected a duration", "authentication.users[0]: user 'a' needs a 'password-hash'",
                "authentication.users[1].password: the password of user 'b' is empty",
                "server.public-url: expected the absolute http(s) URL clients reach this server at",
                "collections.debug.datasources[0].type: unknown datasource type 'nosuch'",
                "authentication.users[2].username: a realm may not be empty or contain '/'",
                "authentication.users[3].username: user names may not start or end with blanks",
                "authentication.users[4].realm: a realm may not be empty or contain '/'",
            ]
            // Only the real problems: an entry skipped for its password still has its other keys read.
            return expected.allSatisfy { text.contains($0) } && !text.contains("unknown key 'roles'") && !text.contains("unknown key 'email'")
                && !text.contains("unknown key 'disabled'")
        }
    }

    @Test("API keys are turned off only by `enabled: false`; an empty `api-keys:` keeps the defaults")
    func apiKeysSwitch() throws {
        for (text, enabled) in [
            ("api-keys:\n    # lifetime: 90d\n", true), ("api-keys: {enabled: false}\n", false), ("api-keys: {lifetime: 2d}\n", true),
        ] {
            let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
            try "authentication:\n  \(text)collections: {debug: {datasources: [{type: echo}]}}\n".write(
                toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let (configuration, _) = try PolytopeConfiguration.load(files: [file], environment: [:])
            #expect((configuration.authentication.apiKeys != nil) == enabled, "\(text)")
        }
    }

    @Test("a password hash asking for more rounds than PBKDF2 can count is refused by the configuration check")
    func hugeRounds() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        try """
        authentication: {users: [{username: a, password-hash: "pbkdf2-sha256$4294967296$c2FsdHNhbHRzYWx0$\(Data(count: 32).base64EncodedString())"}]}
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect {
            _ = try PolytopeConfiguration.load(files: [file], environment: [:])
        } throws: { error in
            "\(error)".contains("authentication.users[0].password-hash: not a password hash")
        }
    }

    @Test("a federated datasource's URL takes no user, password, query or fragment; a password is never printed")
    func federationURL() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let urls = [
            "http://u:SECRETPW@remote.example.int/", "http://remote.example.int/?q=1", "http://remote.example.int/#top", "ftp://u:SECRETPW@x",
        ]
        for url in urls {
            try """
            collections:
              fed:
                datasources: [{type: polytope, url: "\(url)", collection: debug, peer-name: site-a, secret: "0123456789abcdef0123"}]
            """.write(toFile: file, atomically: true, encoding: .utf8)
            #expect {
                _ = try PolytopeConfiguration.load(files: [file], environment: [:])
            } throws: { error in
                "\(error)".contains("collections.fed.datasources[0].url:") && !"\(error)".contains("SECRETPW")
            }
        }
    }

    @Test("a PostgreSQL store is configured by URL")
    func postgresStore() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        try """
        store: {type: postgres, url: "postgres://polytope@db.example.int:6543/requests", password: "${PGPASSWORD}", schema: site1, tls: require}
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (configuration, _) = try PolytopeConfiguration.load(files: [file], environment: ["PGPASSWORD": "s3cret"])
        guard case .postgres(let store) = configuration.store else {
            Issue.record("expected a PostgreSQL store")
            return
        }
        #expect(store.host == "db.example.int" && store.port == 6543 && store.database == "requests")
        #expect(store.username == "polytope" && store.password == "s3cret" && store.schema == "site1" && store.tls == .require)
        try """
        store: {type: postgres, url: "mysql://x"}
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { _ = try PolytopeConfiguration.load(files: [file], environment: [:]) }
        // A URL refused for its form does not print its password.
        try """
        store: {type: postgres, url: "postgres://u:SECRETPW@h:notaport/db"}
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolytopeConfiguration.load(files: [file], environment: [:])
        } throws: { error in
            "\(error)".contains("postgres://u:********@h:notaport/db") && !"\(error)".contains("SECRETPW")
        }
    }

    @Test("S3 staging is configured by endpoint and bucket, with clear errors")
    func s3Staging() throws {
        let file = NSTemporaryDirectory() + "polytope-\(UUID().uuidString).yaml"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        staging:
          type: s3
          endpoint: http://s3.example.int:8333/
          bucket: results
          access-key: AK
          secret-key: ${S3_SECRET}
          prefix: site1
          part-size: 16M
          downloads: presigned
          presigned-expiry: 2h
          public-endpoint: https://data.example.int
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let (configuration, _) = try PolytopeConfiguration.load(files: [file], environment: ["S3_SECRET": "shh"])
        guard case .s3(let staging, let presigned) = configuration.staging else {
            Issue.record("expected S3 staging")
            return
        }
        #expect(presigned)
        #expect(staging.client.endpoint == "http://s3.example.int:8333" && staging.client.bucket == "results")
        #expect(staging.client.accessKey == "AK" && staging.client.secretKey == "shh" && staging.client.region == "us-east-1")
        #expect(staging.prefix == "site1/" && staging.partSize == 16 << 20 && staging.presignedExpiry == .seconds(7200))
        #expect(staging.publicEndpoint == "https://data.example.int")

        try """
        staging: {type: s3, endpoint: "ftp://x", part-size: 1M, presigned-expiry: 30d, downloads: maybe}
        collections: {debug: {datasources: [{type: echo}]}}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try PolytopeConfiguration.load(files: [file], environment: [:])
        } throws: { error in
            let text = "\(error)"
            let expected = [
                "staging: S3 staging needs 'bucket'", "staging: S3 staging needs 'access-key'", "staging: S3 staging needs 'secret-key'",
                "staging.endpoint: expected an http(s) URL", "staging.part-size: S3 upload parts must be between 5M and 5G",
                "staging.presigned-expiry: S3 presigned URLs are valid for at most 7d", "staging.downloads: expected one of proxy, presigned",
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
