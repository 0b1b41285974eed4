import Foundation
import Logging
import PolytopeCore
import PolytopeTestSupport
import PostgresNIO
import Testing

@testable import RequestStorePostgres

@Suite("PostgreSQL request store migrations")
struct PostgresMigrationTests {
    /// A store configuration of the test server in a schema of its own, not created yet.
    static func freshConfiguration() async throws -> PostgresRequestStore.Configuration {
        var configuration = try #require(
            PostgresRequestStore.Configuration(url: try await PostgresTestServer.url(), schema: PostgresTestServer.freshSchema()))
        configuration.tls = .disable
        configuration.maximumConnections = 2
        return configuration
    }

    /// A client working in `schema` (its search path), to write rows as an older version did.
    static func client(of configuration: PostgresRequestStore.Configuration, schema: String) -> PostgresClient {
        var scoped = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: .disable
        )
        scoped.options.additionalStartupParameters = [("search_path", schema)]
        return PostgresClient(configuration: scoped)
    }

    @Test("v6 moves the uploads of existing archive requests out of the result columns")
    func archiveInputMigration() async throws {
        let configuration = try await Self.freshConfiguration()
        let schema = configuration.schema
        let archive = {
            var record = Fixtures.record()
            record.verb = .archive
            return record
        }()
        let retrieve = Fixtures.record()
        let normalised = try #require(archive.normalisedRequest.compactJSON)
        let client = PostgresClient(
            configuration: .init(
                host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
                database: configuration.database, tls: .disable
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            group.cancelAll()
        }
        // The schema as the version before left it, with an archive request's upload in staging_key.
        let old = Self.client(of: configuration, schema: schema)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await old.run() }
            try await PostgresSchema.migrate(old, schema: schema, upTo: 5, logger: Logger.quiet)
            for (record, key) in [(archive, "\(archive.id).0"), (retrieve, "\(retrieve.id).1")] {
                let (id, verb) = (record.id.description, record.verb.rawValue)
                try await old.query(
                    """
                    INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
                        request_text, request_normalised, staging_key, content_type, content_length, created_at, updated_at)
                    VALUES (\(id), 'alice', '{"username":"alice","realm":"local","roles":["default"],"attributes":{}}', \(verb), 'debug', 'echo',
                        'processed', '[]', 'x', \(normalised), \(key), 'application/x-grib', 42, 0, 0)
                    """
                )
            }
            group.cancelAll()
        }
        let store = PostgresRequestStore(configuration: configuration, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            let migrated = try #require(try await store.request(id: archive.id))
            #expect(migrated.result == nil)
            #expect(migrated.archiveInput == StagedResult(key: "\(archive.id).0", contentType: "application/x-grib", contentLength: 42))
            let untouched = try #require(try await store.request(id: retrieve.id))
            #expect(untouched.result?.key == "\(retrieve.id).1" && untouched.archiveInput == nil)
            #expect(try await store.referencedStagingKeys(among: ["\(archive.id).0", "\(retrieve.id).1"]).count == 2)
            group.cancelAll()
        }
    }

    @Test("v12 gives the requests and keys of users of other realms to `<realm>/<name>`")
    func ownerMigration() async throws {
        let configuration = try await Self.freshConfiguration()
        let schema = configuration.schema
        let local = Fixtures.record(user: User(username: "dana", roles: ["default"]))
        let visitor = Fixtures.record(user: User(username: "dana", realm: "ecmwf", roles: ["default"]))
        let old = Self.client(of: configuration, schema: schema)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await old.run() }
            try await old.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"))
            // The schema as the version before left it: both owned by the bare name.
            try await PostgresSchema.migrate(old, schema: schema, upTo: 11, logger: Logger.quiet)
            for record in [local, visitor] {
                let (id, key) = (record.id.description, "k-\(record.user.realm)")
                let user = #"{"username":"dana","realm":""# + record.user.realm + #"","roles":["default"],"attributes":{}}"#
                try await old.query(
                    """
                    INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
                        request_text, request_normalised, created_at, updated_at)
                    VALUES (\(id), 'dana', \(user), 'retrieve', 'debug', 'echo', 'waiting', '[]', 'x', '[]', 0, 0)
                    """
                )
                try await old.query(
                    "INSERT INTO idempotency_keys (username, key, request_id, digest, created_at) VALUES ('dana', \(key), \(id), 'd', 0)")
            }
            group.cancelAll()
        }
        let store = PostgresRequestStore(configuration: configuration, logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await store.run() }
            let locals = try await store.requests(ofUser: "dana", collection: nil, after: nil, limit: 10)
            #expect(locals.records.map(\.id) == [local.id])
            #expect(try await store.requests(ofUser: "ecmwf/dana", collection: nil, after: nil, limit: 10).records.map(\.id) == [visitor.id])
            #expect(try await store.idempotentSubmission(username: "ecmwf/dana", key: "k-ecmwf", since: .distantPast)?.id == visitor.id)
            #expect(try await store.idempotentSubmission(username: "dana", key: "k-local", since: .distantPast)?.id == local.id)
            group.cancelAll()
        }
    }
}
