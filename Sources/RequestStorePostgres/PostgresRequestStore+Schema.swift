import Foundation
import Logging
import PolytopeCore
import PostgresNIO
import Synchronization

extension PostgresRequestStore {
    /// Applies the migrations, retrying until the database answers; each failure is logged
    /// with its cause. A pooled connection waits as long as the database is away, without
    /// saying why, so each attempt first opens a connection of its own: a refused
    /// connection, a wrong password or a TLS failure is then named in the log and in the
    /// 503s answered meanwhile.
    func prepareSchema() async throws {
        var failures = 0
        while true {
            do {
                try await probeConnection()
                try await PostgresSchema.migrate(client, schema: configuration.schema, logger: logger)
                ready.open()
                return
            } catch {
                try Task.checkCancellation()
                failures += 1
                preparationProblem.withLock { $0 = Self.explain(error) }
                logger.error(
                    "cannot prepare the PostgreSQL schema; retrying",
                    metadata: ["error": "\(Self.explain(error))", "host": "\(configuration.host):\(configuration.port)"])
                try await Task.sleep(for: .seconds(min(failures, 10)))
            }
        }
    }

    /// Opens and closes one connection outside the pool, within `connectTimeout`.
    private func probeConnection() async throws {
        let tls: PostgresConnection.Configuration.TLS
        switch configuration.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var settings = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username, password: configuration.password,
            database: configuration.database, tls: tls)
        settings.options.connectTimeout = .nanoseconds(Int64(configuration.connectTimeout.timeInterval * 1e9))
        let connection = try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
        try? await connection.close()
    }
}
