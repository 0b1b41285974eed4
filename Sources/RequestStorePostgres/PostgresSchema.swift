import Foundation
import Logging
import PostgresNIO

/// The schema of the PostgreSQL request store, as an ordered list of migrations.
///
/// Each migration runs once, in a transaction, under an advisory lock, so that several
/// processes starting together apply it exactly once. Migrations are only ever appended.
enum PostgresSchema {
    static let migrations: [(name: String, statements: [String])] = [
        (
            "v1: requests",
            [
                """
                CREATE TABLE requests (
                    seq BIGSERIAL PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    username TEXT NOT NULL,
                    user_json TEXT NOT NULL,
                    verb TEXT NOT NULL,
                    collection TEXT NOT NULL,
                    datasource TEXT NOT NULL,
                    status TEXT NOT NULL,
                    status_history TEXT NOT NULL,
                    user_message TEXT NOT NULL DEFAULT '',
                    request_text TEXT NOT NULL,
                    request_normalised TEXT NOT NULL,
                    staging_key TEXT,
                    content_type TEXT,
                    content_length BIGINT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    staged_bytes BIGINT NOT NULL DEFAULT 0,
                    lease_owner TEXT,
                    lease_expires_at DOUBLE PRECISION,
                    created_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX requests_by_status ON requests(status, seq)",
                "CREATE INDEX requests_by_user ON requests(username, seq)",
                "CREATE INDEX requests_by_lease ON requests(lease_expires_at) WHERE lease_expires_at IS NOT NULL",
                "CREATE INDEX requests_finished ON requests(updated_at) WHERE status IN ('processed', 'failed')",
                "CREATE INDEX requests_by_staging_key ON requests(staging_key) WHERE staging_key IS NOT NULL",
                // Wake brokers and workers in every process: new requests, and requests queued.
                """
                CREATE FUNCTION polytope_notify_insert() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('polytope_requests_' || current_schema(), '');
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER requests_inserted AFTER INSERT ON requests
                FOR EACH STATEMENT EXECUTE FUNCTION polytope_notify_insert()
                """,
                """
                CREATE FUNCTION polytope_notify_queued() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('polytope_work_' || current_schema(), '');
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER requests_queued AFTER UPDATE OF status ON requests
                FOR EACH ROW WHEN (NEW.status = 'queued' AND OLD.status IS DISTINCT FROM 'queued')
                EXECUTE FUNCTION polytope_notify_queued()
                """,
            ]
        ),
        (
            "v2: workers",
            [
                """
                CREATE TABLE workers (
                    id TEXT PRIMARY KEY,
                    slots INTEGER NOT NULL,
                    busy INTEGER NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    seen_at DOUBLE PRECISION NOT NULL
                )
                """
            ]
        ),
        (
            "v3: tombstones of expired requests",
            [
                "CREATE TABLE expired_requests (id TEXT PRIMARY KEY, username TEXT NOT NULL, expired_at DOUBLE PRECISION NOT NULL)",
                "CREATE INDEX expired_requests_by_time ON expired_requests(expired_at)",
            ]
        ),
        (
            "v4: api keys",
            [
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    key_hash TEXT NOT NULL UNIQUE,
                    username TEXT NOT NULL,
                    user_json TEXT NOT NULL,
                    label TEXT NOT NULL DEFAULT '',
                    created_at DOUBLE PRECISION NOT NULL,
                    expires_at DOUBLE PRECISION NOT NULL,
                    revoked_at DOUBLE PRECISION
                )
                """,
                "CREATE INDEX api_keys_by_user ON api_keys(username, created_at)",
            ]
        ),
        ("v5: archive sources", ["ALTER TABLE requests ADD COLUMN source_url TEXT"]),
        (
            "v6: archive inputs",
            [
                "ALTER TABLE requests ADD COLUMN input_staging_key TEXT",
                "ALTER TABLE requests ADD COLUMN input_content_type TEXT",
                "ALTER TABLE requests ADD COLUMN input_content_length BIGINT",
                // The upload of an archive request was kept in the result's columns until now.
                """
                UPDATE requests SET input_staging_key = staging_key, input_content_type = content_type,
                    input_content_length = content_length, staging_key = NULL, content_type = NULL, content_length = NULL
                WHERE verb = 'archive' AND staging_key IS NOT NULL
                """,
                "CREATE INDEX requests_by_input_key ON requests(input_staging_key) WHERE input_staging_key IS NOT NULL",
            ]
        ),
        (
            "v7: work-conserving dispatch",
            [
                // broker: the users with waiting requests (a loose index scan) and each one's oldest
                "CREATE INDEX requests_waiting ON requests(collection, username, seq) WHERE status = 'waiting'",
                // Wake every broker when a request stops counting against a limit, or an upload makes one waiting.
                """
                CREATE TRIGGER requests_left_active AFTER UPDATE OF status ON requests
                FOR EACH ROW WHEN (
                    (OLD.status IN ('queued', 'processing', 'revoked') AND NEW.status NOT IN ('queued', 'processing', 'revoked'))
                    OR (OLD.status = 'uploading' AND NEW.status = 'waiting'))
                EXECUTE FUNCTION polytope_notify_insert()
                """,
                // Wake held polls in every frontend when any request changes status.
                """
                CREATE FUNCTION polytope_notify_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('polytope_changes_' || current_schema(), '');
                    RETURN NULL;
                END $$
                """,
                """
                CREATE TRIGGER requests_status_changed AFTER UPDATE OF status OR DELETE ON requests
                FOR EACH STATEMENT EXECUTE FUNCTION polytope_notify_changed()
                """,
                """
                CREATE TRIGGER requests_deleted_active AFTER DELETE ON requests
                FOR EACH ROW WHEN (OLD.status IN ('queued', 'processing', 'revoked'))
                EXECUTE FUNCTION polytope_notify_insert()
                """,
            ]
        ),
        (
            "v8: broker leadership",
            [
                // The lease that lets exactly one of several brokers dispatch; `term` fences a
                // dispatch against a takeover (see BrokerLeadership).
                """
                CREATE TABLE broker_leadership (
                    id integer PRIMARY KEY CHECK (id = 1), holder text NOT NULL, term bigint NOT NULL, expires_at double precision NOT NULL)
                """,
                "INSERT INTO broker_leadership VALUES (1, '', 0, 0)",
            ]
        ),
        (
            "v9: idempotency keys",
            [
                // The request each user's Idempotency-Key gave, for a day (see IdempotencyKey).
                """
                CREATE TABLE idempotency_keys (
                    username text NOT NULL, key text NOT NULL, request_id text NOT NULL, digest text NOT NULL,
                    created_at double precision NOT NULL, PRIMARY KEY (username, key))
                """,
                "CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at)",
            ]
        ),
        (
            "v10: reusable results",
            [
                // Finds a staged result of the same request (collections with reuse-results); a
                // hash index, as normalised requests may be longer than a B-tree entry allows.
                """
                CREATE INDEX requests_reusable ON requests USING hash (request_normalised)
                WHERE status = 'processed' AND staging_key IS NOT NULL
                """
            ]
        ),
        (
            "v11: telemetry indexes",
            [
                // Counts of finished requests per collection read from an index instead of every
                // row (the metrics, the telemetry summary and the system view ask often; partial,
                // so that status changes before a request finishes do not move its entry), and
                // submissions per minute read from the last minutes' entries only.
                "CREATE INDEX requests_finished_by_collection ON requests(collection, status) WHERE status IN ('processed', 'failed')",
                "CREATE INDEX requests_by_creation ON requests(created_at)",
            ]
        ),
        (
            "v12: owners qualified by realm",
            [
                // Requests belong to `User.owner`: users of realms other than `local` become
                // `<realm>/<username>`, so that another realm's user of the same name is not their owner.
                """
                UPDATE requests SET username = (user_json::jsonb ->> 'realm') || '/' || username
                WHERE (user_json::jsonb ->> 'realm') <> 'local'
                """,
                """
                UPDATE idempotency_keys k SET username = r.username FROM requests r
                WHERE r.id = k.request_id AND r.username <> k.username
                """,
            ]
        ),
    ]

    /// Creates `schema` if needed and applies the migrations it lacks (the first `count`
    /// only, when given: tests of a migration start from the schema before it).
    static func migrate(_ client: PostgresClient, schema: String, upTo count: Int? = nil, logger: Logger) async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Concurrent `CREATE ... IF NOT EXISTS` can still collide: under the lock too.
            try await connection.query("SELECT pg_advisory_xact_lock(7362010)", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quoted(schema))"), logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "CREATE TABLE IF NOT EXISTS \(quoted(schema)).polytope_migrations "
                        + "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                ),
                logger: logger
            )
        }
        for (index, migration) in migrations.prefix(count ?? migrations.count).enumerated() {
            let version = index + 1
            try await client.withTransaction(logger: logger) { connection in
                // One process at a time; the others then see the migration as applied.
                try await connection.query("SELECT pg_advisory_xact_lock(7362010)", logger: logger)
                let applied = try await connection.query("SELECT 1 FROM polytope_migrations WHERE version = \(version)", logger: logger)
                    .collect()
                guard applied.isEmpty else { return }
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO polytope_migrations (version, name) VALUES (\(version), \(migration.name))", logger: logger
                )
                logger.info("applied schema migration", metadata: ["migration": "\(migration.name)"])
            }
        }
    }

    /// `name` as an SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
