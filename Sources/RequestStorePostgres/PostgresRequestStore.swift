import Foundation
import Logging
import PolytopeCore
import PostgresNIO
import RequestStoreSupport
import ServiceLifecycle
import Synchronization

/// The request store on PostgreSQL, for deployments over several hosts.
///
/// Same contract as the SQLite store (both pass the store conformance suite). Workers claim
/// with `FOR UPDATE SKIP LOCKED`, so any number of them share the queue without blocking
/// each other; triggers `NOTIFY` new and queued requests, which `PostgresNotificationBridge`
/// turns into in-process wake-ups. Connections come from a pool that reconnects by itself
/// after the database restarts.
///
/// A `Service`: nothing works unless `run()` is running (it runs the connection pool and
/// applies schema migrations before the first query is let through).
package final class PostgresRequestStore: RequestStoreBackend, Service {
    /// Where the database is.
    package struct Configuration: Sendable {
        package var host: String
        package var port: Int
        package var username: String
        package var password: String?
        package var database: String
        /// The schema holding the tables (one deployment per schema).
        package var schema: String
        package var maximumConnections: Int
        /// Longest wait for a pooled connection (503 afterwards).
        package var connectTimeout: Duration
        /// Longest time one store operation may run on its connection before the connection
        /// is closed and the caller gets 503.
        package var queryTimeout: Duration
        package var tls: TLSMode

        /// Whether the connection is encrypted.
        package enum TLSMode: String, Sendable {
            case disable, prefer, require
        }

        package init(
            host: String, port: Int = 5432, username: String, password: String? = nil, database: String, schema: String = "public",
            maximumConnections: Int = 20, connectTimeout: Duration = .seconds(10), queryTimeout: Duration = .seconds(30),
            tls: TLSMode = .prefer
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.connectTimeout = connectTimeout
            self.queryTimeout = queryTimeout
            self.tls = tls
        }

        /// Parses `postgres://user[:password]@host[:port]/database`.
        package init?(url: String, schema: String = "public") {
            guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme),
                let host = components.host, let user = components.user, !components.path.dropFirst().isEmpty
            else { return nil }
            self.init(
                host: host, port: components.port ?? 5432, username: user, password: components.password,
                database: String(components.path.dropFirst()), schema: schema
            )
        }
    }

    let configuration: Configuration
    let client: PostgresClient
    let logger: Logger
    /// Where the clock check's result goes (`polytope_clock_skew_seconds`).
    let metrics: PolytopeMetrics
    let ready = Latch()
    /// Why the schema is not ready yet, for the 503 answered meanwhile.
    let preparationProblem = Mutex<String?>(nil)

    package init(configuration: Configuration, logger: Logger, metrics: PolytopeMetrics = PolytopeMetrics()) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
        let tls: PostgresClient.Configuration.TLS
        switch configuration.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var client = PostgresClient.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls
        )
        client.options.maximumConnections = configuration.maximumConnections
        client.options.connectTimeout = configuration.connectTimeout
        client.options.additionalStartupParameters = [("search_path", configuration.schema), ("application_name", "polytope")]
        self.client = PostgresClient(configuration: client, backgroundLogger: logger)
    }

    /// Runs the connection pool; applies migrations first, retrying until the database
    /// answers (or the process shuts down: a store that never got ready has nothing to drain).
    package func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            // Let the pool start before the first lease (PostgresNIO warns about an early one).
            try await Task.sleep(for: .milliseconds(20))
            try? await cancelWhenGracefulShutdown { try await self.prepareSchema() }
            if ready.isOpen {
                logger.info(
                    "PostgreSQL request store ready", metadata: ["database": "\(configuration.database)", "schema": "\(configuration.schema)"]
                )
                await cancelWhenGracefulShutdown { await self.watchClock() }
            }
            group.cancelAll()
        }
    }

    /// This host's clock against the database's, or nil when three round trips in a row were
    /// too slow to tell (the first may also wait for a connection).
    package func clockSkew() async throws -> ClockSkew? {
        for _ in 0..<3 {
            let before = Date()
            let row = try await query("SELECT extract(epoch FROM clock_timestamp())::float8 AS now").first
            let after = Date()
            guard let now = try row?["now"].decode(Double.self) else { return nil }
            if let skew = ClockSkew(localBefore: before, database: Date(timeIntervalSince1970: now), localAfter: after) { return skew }
        }
        return nil
    }

    /// Compares this host's clock with the database's now and every `ClockSkew.checkInterval`
    /// until cancelled, warning while they are too far apart.
    private func watchClock() async {
        var warned = false
        while !Task.isCancelled {
            if let skew = try? await clockSkew() {
                metrics.clockSkew(seconds: skew.seconds)
                let metadata: Logger.Metadata = ["skew-seconds": "\(String(format: "%.1f", skew.seconds))"]
                if skew.isTooLarge {
                    logger.warning(
                        "this host's clock is \(String(format: "%.1f", abs(skew.seconds))) s \(skew.seconds > 0 ? "ahead of" : "behind") the database's; hosts compare lease and expiry times that other hosts wrote, so synchronise the clocks (NTP)",
                        metadata: metadata)
                    warned = true
                } else if warned {
                    logger.notice("this host's clock agrees with the database's again", metadata: metadata)
                    warned = false
                }
            }
            try? await Task.sleep(for: ClockSkew.checkInterval)
        }
    }

    /// Whether the schema is in place.
    var isReady: Bool { ready.isOpen }

    /// Waits until `run()` has the schema in place.
    func prepared() async {
        await ready.wait()
    }

    /// Waits (at most `connectTimeout`) until the schema is in place; then throws 503's error.
    func preparedOrUnavailable() async throws {
        if ready.isOpen { return }
        let opened = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.ready.wait()
                return self.ready.isOpen
            }
            group.addTask {
                try? await Task.sleep(for: self.configuration.connectTimeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard opened else {
            let reason = preparationProblem.withLock { $0 } ?? "still connecting"
            throw PolytopeError(.unavailable, "The request store is not available yet (\(reason)); please retry shortly.")
        }
    }

    func query(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        let logger = self.logger
        return try await leased { connection in
            try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
        }
    }

    /// Runs `body` in a transaction; an error `body` throws on purpose (one of ours, such as
    /// `LeadershipLost`) is rethrown as it is once the transaction rolled back.
    func transaction<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        let logger = self.logger
        do {
            return try await leased { connection in
                try await connection.withTransaction(logger: logger) { connection in try await body(connection) }
            }
        } catch let error as PostgresTransactionError where error.closureError is LeadershipLost && error.rollbackError == nil {
            throw error.closureError!
        }
    }

    /// Connection failures become "unavailable" (HTTP 503, which polytope-client retries);
    /// anything else stays as it is (a fault of ours, 500).
    static func unavailableIfDisconnected(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.beginError ?? transaction.closureError ?? transaction.commitError
        {
            let mapped = unavailableIfDisconnected(cause)
            return mapped is PolytopeError ? mapped : error
        }
        guard let error = error as? PSQLError else { return error }
        let sqlState = error.serverInfo?[.sqlState] ?? ""
        // Class 08: connection exceptions; 57P01-57P03: the server is shutting down or starting.
        let serverGoingAway = sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
        let disconnected: Set<PSQLError.Code> = [.connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown]
        // 53100: the database server's disk is full.
        if sqlState == "53100" { return DiskFull(what: "request store", path: "PostgreSQL database").polytopeError }
        guard disconnected.contains(error.code) || serverGoingAway else { return error }
        return PolytopeError(.unavailable, unreachable.message, cause: error)
    }

    /// A short operator-readable reason for a failed preparation.
    static func explain(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "PostgreSQL: \(message)" }
            if let underlying = error.underlying { return "PostgreSQL connection: \(underlying)" }
            return "PostgreSQL connection: \(error.code)"
        }
        return "\(error)"
    }

    // MARK: FrontendStore

    package func insert(_ record: RequestRecord) async throws {
        _ = try await query(try Self.insertQuery(record))
    }

    /// The first key of the advisory locks that serialise admissions (the second is a hash of
    /// collection and user); two-key locks never meet the migrations' one-key lock.
    static let admissionLockClass: Int32 = 0x706F_6C79  // "poly"

    /// The statement that inserts `record`.
    static func insertQuery(_ record: RequestRecord) throws -> PostgresQuery {
        let c = try StoredRequestColumns(record)
        return """
            INSERT INTO requests (id, username, user_json, verb, collection, datasource, status, status_history,
                user_message, request_text, request_normalised, staging_key, content_type, content_length,
                attempts, staged_bytes, lease_owner, lease_expires_at, created_at, updated_at, source_url,
                input_staging_key, input_content_type, input_content_length)
            VALUES (\(c.id), \(c.username), \(c.userJSON), \(c.verb), \(c.collection), \(c.datasource), \(c.status),
                \(c.statusHistoryJSON), \(c.userMessage), \(c.requestText), \(c.normalisedJSON), \(c.stagingKey), \(c.contentType),
                \(c.contentLength), \(c.attempts), \(c.stagedBytes), \(c.leaseOwner), \(c.leaseExpiresAt), \(c.createdAt), \(c.updatedAt),
                \(c.sourceURL), \(c.inputStagingKey), \(c.inputContentType), \(c.inputContentLength))
            """
    }

    package func request(id: RequestIdentifier) async throws -> RequestRecord? {
        try await query("SELECT * FROM requests WHERE id = \(id.description)").first.map(Self.record)
    }

    package func requests(ofUser username: String, collection: String?, after cursor: RequestListCursor?, limit: Int) async throws
        -> RequestPage
    {
        try Self.page(
            await query(
                """
                SELECT * FROM requests WHERE username = \(username) AND seq > \(cursor?.sequence ?? 0) AND status <> 'revoked'
                    AND (\(collection)::text IS NULL OR collection = \(collection)) ORDER BY seq LIMIT \(limit + 1)
                """
            ),
            limit: limit
        )
    }

    package func requestCount(ofUser username: String) async throws -> Int {
        try await query("SELECT count(*) AS n FROM requests WHERE username = \(username) AND status <> 'revoked'").first?["n"]
            .decode(Int.self) ?? 0
    }

    package func expiryDate(of id: RequestIdentifier, ofUser username: String) async throws -> Date? {
        try await query("SELECT expired_at FROM expired_requests WHERE id = \(id.description) AND username = \(username)")
            .first.map { Date(timeIntervalSince1970: try $0["expired_at"].decode(Double.self)) }
    }

    package func revoke(id: RequestIdentifier, ofUser username: String, at now: Date) async throws -> Revocation? {
        try await revoke(username: username, id: id.description, at: now).first
    }

    package func revokeAll(ofUser username: String, at now: Date) async throws -> [Revocation] {
        try await revoke(username: username, id: nil, at: now)
    }

    /// Marks what a worker holds as revoked (deleted when it lets go); deletes the rest.
    ///
    /// The rows are locked first: each statement below reads the rows as committed when it
    /// starts (READ COMMITTED), so without the lock a worker's claim committed between the
    /// two would move a request from `queued` to `processing` behind both, and the revoke
    /// would find nothing while the request runs on.
    private func revoke(username: String, id: String?, at now: Date) async throws -> [Revocation] {
        let time = now.timeIntervalSince1970
        let logger = self.logger
        return try await transaction { connection in
            let locked = try await connection.query(
                """
                SELECT id FROM requests WHERE username = \(username) AND status <> 'revoked' AND (\(id)::text IS NULL OR id = \(id))
                FOR UPDATE
                """,
                logger: logger
            ).collect().map { try $0.makeRandomAccess()["id"].decode(String.self) }
            guard !locked.isEmpty else { return [] }
            let marked = try await connection.query(
                """
                UPDATE requests SET status = 'revoked', updated_at = \(time),
                    status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'revoked', 'at', \(time)::float8)))::text
                WHERE id = ANY(\(locked)) AND status = 'processing'
                RETURNING id
                """,
                logger: logger
            ).collect().map { $0.makeRandomAccess() }
            let deleted = try await connection.query(
                """
                DELETE FROM requests WHERE id = ANY(\(locked)) AND status NOT IN ('processing', 'revoked')
                RETURNING id, status, staging_key, content_type, content_length, input_staging_key, input_content_type, input_content_length
                """,
                logger: logger
            ).collect().map { $0.makeRandomAccess() }
            // Results reused by another request stay with it.
            let keys = try deleted.compactMap { try $0["staging_key"].decode(String?.self) }
            let shared =
                keys.isEmpty
                ? Set<String>()
                : Set(
                    try await connection.query("SELECT DISTINCT staging_key FROM requests WHERE staging_key = ANY(\(keys))", logger: logger)
                        .collect().map { try $0.makeRandomAccess()["staging_key"].decode(String.self) })
            var revocations: [Revocation] = []
            for row in marked {
                revocations.append(Revocation(id: try Self.requestID(row), previousStatus: .processing, orphanedResult: nil))
            }
            for row in deleted {
                let status = RequestStatus(rawValue: try row["status"].decode(String.self)) ?? .waiting
                revocations.append(
                    Revocation(
                        id: try Self.requestID(row), previousStatus: status,
                        orphanedResult: try Self.result(row).flatMap { shared.contains($0.key) ? nil : $0 },
                        orphanedArchiveInput: try Self.input(row)))
            }
            return revocations
        }
    }

    package func markUploaded(id: RequestIdentifier, upload: StagedResult, at now: Date) async throws -> Bool {
        let time = now.timeIntervalSince1970
        return try await !query(
            """
            UPDATE requests SET status = 'waiting', input_staging_key = \(upload.key), input_content_type = \(upload.contentType),
                input_content_length = \(upload.contentLength), updated_at = \(time),
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'waiting', 'at', \(time)::float8)))::text
            WHERE id = \(id.description) AND status = 'uploading'
            RETURNING id
            """
        ).isEmpty
    }

    // MARK: Rows

    static func record(_ row: PostgresRandomAccessRow) throws -> RequestRecord {
        try StoredRequestColumns(
            id: row["id"].decode(String.self), username: row["username"].decode(String.self), userJSON: row["user_json"].decode(String.self),
            verb: row["verb"].decode(String.self), collection: row["collection"].decode(String.self),
            datasource: row["datasource"].decode(String.self), status: row["status"].decode(String.self),
            statusHistoryJSON: row["status_history"].decode(String.self), userMessage: row["user_message"].decode(String.self),
            requestText: row["request_text"].decode(String.self), normalisedJSON: row["request_normalised"].decode(String.self),
            stagingKey: row["staging_key"].decode(String?.self), contentType: row["content_type"].decode(String?.self),
            contentLength: row["content_length"].decode(Int64?.self), attempts: row["attempts"].decode(Int.self),
            stagedBytes: row["staged_bytes"].decode(Int64.self), leaseOwner: row["lease_owner"].decode(String?.self),
            leaseExpiresAt: row["lease_expires_at"].decode(Double?.self), createdAt: row["created_at"].decode(Double.self),
            updatedAt: row["updated_at"].decode(Double.self), sourceURL: row["source_url"].decode(String?.self),
            inputStagingKey: row["input_staging_key"].decode(String?.self), inputContentType: row["input_content_type"].decode(String?.self),
            inputContentLength: row["input_content_length"].decode(Int64?.self)
        ).record()
    }

    /// A page of `limit` records from `rows`, fetched with one row more than `limit` to learn
    /// whether another page follows; rows need `seq`.
    static func page(_ rows: [PostgresRandomAccessRow], limit: Int) throws -> RequestPage {
        let shown = rows.prefix(limit)
        let next = try rows.count > limit ? shown.last.map { RequestListCursor(sequence: try $0["seq"].decode(Int64.self)) } : nil
        return RequestPage(records: try shown.map(record), next: next)
    }

    static func requestID(_ row: PostgresRandomAccessRow, column: String = "id") throws -> RequestIdentifier {
        let text = try row[column].decode(String.self)
        guard let id = RequestIdentifier(text) else { throw PolytopeError(.internalError, "request store row has a malformed id") }
        return id
    }

    /// The staged result of a row with `staging_key`, `content_type` and `content_length`.
    static func result(_ row: PostgresRandomAccessRow) throws -> StagedResult? {
        StoredRequestColumns.staged(
            key: try row["staging_key"].decode(String?.self), contentType: try row["content_type"].decode(String?.self),
            contentLength: try row["content_length"].decode(Int64?.self))
    }

    /// The archive input of a row with `input_staging_key`, `input_content_type` and `input_content_length`.
    static func input(_ row: PostgresRandomAccessRow) throws -> StagedResult? {
        StoredRequestColumns.staged(
            key: try row["input_staging_key"].decode(String?.self), contentType: try row["input_content_type"].decode(String?.self),
            contentLength: try row["input_content_length"].decode(Int64?.self))
    }
}
