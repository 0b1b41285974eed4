import GRDB

/// The schema of the request store, as an ordered list of migrations.
///
/// Migrations only ever get appended; a process opening an older file brings it up to date
/// before serving, and every process sharing the file agrees on the schema.
enum SQLiteSchema {
    /// The migration that gave archive inputs their own columns (tests migrate up to the one before).
    static let archiveInputs = "v6: archive inputs"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE requests (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
                        content_length INTEGER,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        staged_bytes INTEGER NOT NULL DEFAULT 0,
                        lease_owner TEXT,
                        lease_expires_at REAL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL
                    );
                    -- broker: waiting requests in arrival order; workers: oldest queued; counts of active ones
                    CREATE INDEX requests_by_status ON requests(status, seq);
                    -- frontend: a user's requests
                    CREATE INDEX requests_by_user ON requests(username, seq);
                    -- broker: expired leases
                    CREATE INDEX requests_by_lease ON requests(lease_expires_at) WHERE lease_expires_at IS NOT NULL;
                    -- garbage collector: finished requests by age
                    CREATE INDEX requests_finished ON requests(updated_at) WHERE status IN ('processed', 'failed');
                    -- garbage collector: orphan detection
                    CREATE INDEX requests_by_staging_key ON requests(staging_key) WHERE staging_key IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v2: workers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE workers (
                        id TEXT PRIMARY KEY,
                        slots INTEGER NOT NULL,
                        busy INTEGER NOT NULL,
                        started_at REAL NOT NULL,
                        seen_at REAL NOT NULL
                    );
                    """
            )
        }
        migrator.registerMigration("v3: tombstones of expired requests") { db in
            try db.execute(
                sql: """
                    CREATE TABLE expired_requests (
                        id TEXT PRIMARY KEY,
                        username TEXT NOT NULL,
                        expired_at REAL NOT NULL
                    );
                    CREATE INDEX expired_requests_by_time ON expired_requests(expired_at);
                    """
            )
        }
        migrator.registerMigration("v4: api keys") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        key_hash TEXT NOT NULL UNIQUE,
                        username TEXT NOT NULL,
                        user_json TEXT NOT NULL,
                        label TEXT NOT NULL DEFAULT '',
                        created_at REAL NOT NULL,
                        expires_at REAL NOT NULL,
                        revoked_at REAL
                    );
                    CREATE INDEX api_keys_by_user ON api_keys(username, created_at);
                    """
            )
        }
        migrator.registerMigration("v5: archive sources") { db in
            try db.execute(sql: "ALTER TABLE requests ADD COLUMN source_url TEXT")
        }
        migrator.registerMigration(archiveInputs) { db in
            // The upload of an archive request was kept in the result's columns until now.
            try db.execute(
                sql: """
                    ALTER TABLE requests ADD COLUMN input_staging_key TEXT;
                    ALTER TABLE requests ADD COLUMN input_content_type TEXT;
                    ALTER TABLE requests ADD COLUMN input_content_length INTEGER;
                    UPDATE requests SET input_staging_key = staging_key, input_content_type = content_type,
                        input_content_length = content_length, staging_key = NULL, content_type = NULL, content_length = NULL
                    WHERE verb = 'archive' AND staging_key IS NOT NULL;
                    -- garbage collector: orphan detection
                    CREATE INDEX requests_by_input_key ON requests(input_staging_key) WHERE input_staging_key IS NOT NULL;
                    """
            )
        }
        migrator.registerMigration("v7: work-conserving dispatch") { db in
            // Counters that triggers advance, so that processes sharing the file can tell, from
            // one small read, whether brokers (`dispatch`) or workers (`work`) have something to do.
            try db.execute(
                sql: """
                    -- broker: the users with waiting requests (a loose index scan) and each one's oldest
                    CREATE INDEX requests_waiting ON requests(collection, username, seq) WHERE status = 'waiting';
                    CREATE TABLE store_events (kind TEXT PRIMARY KEY, counter INTEGER NOT NULL);
                    INSERT INTO store_events VALUES ('dispatch', 0), ('work', 0);
                    CREATE TRIGGER requests_inserted AFTER INSERT ON requests BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'dispatch';
                    END;
                    CREATE TRIGGER requests_left_active AFTER UPDATE OF status ON requests
                    WHEN (OLD.status IN ('queued', 'processing', 'revoked') AND NEW.status NOT IN ('queued', 'processing', 'revoked'))
                        OR (OLD.status = 'uploading' AND NEW.status = 'waiting')
                    BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'dispatch';
                    END;
                    CREATE TRIGGER requests_deleted_active AFTER DELETE ON requests
                    WHEN OLD.status IN ('queued', 'processing', 'revoked')
                    BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'dispatch';
                    END;
                    CREATE TRIGGER requests_queued AFTER UPDATE OF status ON requests
                    WHEN NEW.status = 'queued' AND OLD.status != 'queued'
                    BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'work';
                    END;
                    """
            )
        }
        migrator.registerMigration("v8: broker leadership") { db in
            // The lease that lets exactly one of several brokers dispatch; `term` fences a
            // dispatch against a takeover (see BrokerLeadership).
            try db.execute(
                sql: """
                    CREATE TABLE broker_leadership (
                        id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, term INTEGER NOT NULL, expires_at REAL NOT NULL);
                    INSERT INTO broker_leadership VALUES (1, '', 0, 0);
                    """
            )
        }
        migrator.registerMigration("v9: idempotency keys") { db in
            // The request each user's Idempotency-Key gave, for a day (see IdempotencyKey).
            try db.execute(
                sql: """
                    CREATE TABLE idempotency_keys (
                        username TEXT NOT NULL, key TEXT NOT NULL, request_id TEXT NOT NULL, digest TEXT NOT NULL, created_at REAL NOT NULL,
                        PRIMARY KEY (username, key)) WITHOUT ROWID;
                    CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at);
                    """
            )
        }
        migrator.registerMigration("v10: reusable results") { db in
            // Finds a staged result of the same request (collections with reuse-results).
            try db.execute(
                sql: """
                    CREATE INDEX requests_reusable ON requests(collection, datasource, request_normalised, updated_at)
                    WHERE status = 'processed' AND staging_key IS NOT NULL
                    """
            )
        }
        migrator.registerMigration("v11: status events") { db in
            // A counter of status changes, so that held polls look again only when a status
            // changed, not at every commit (a broker renews its lease every few seconds).
            try db.execute(
                sql: """
                    INSERT INTO store_events VALUES ('status', 0);
                    CREATE TRIGGER requests_status_event AFTER UPDATE OF status ON requests WHEN OLD.status != NEW.status BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'status';
                    END;
                    CREATE TRIGGER requests_deleted_event AFTER DELETE ON requests BEGIN
                        UPDATE store_events SET counter = counter + 1 WHERE kind = 'status';
                    END;
                    """
            )
        }
        migrator.registerMigration("v12: telemetry indexes") { db in
            // Counts of finished requests per collection read from an index instead of every row
            // (the metrics, the telemetry summary and the system view ask often; partial, so
            // that a request's status changes before it finishes do not move its entry), and
            // submissions per minute read from the last minutes' entries only.
            try db.execute(
                sql: """
                    CREATE INDEX requests_finished_by_collection ON requests(collection, status) WHERE status IN ('processed', 'failed');
                    CREATE INDEX requests_by_creation ON requests(created_at);
                    """
            )
        }
        migrator.registerMigration("v13: owners qualified by realm") { db in
            // Requests belong to `User.owner`: users of realms other than `local` become
            // `<realm>/<username>`, so that another realm's user of the same name is not their owner.
            try db.execute(
                sql: """
                    UPDATE requests SET username = json_extract(user_json, '$.realm') || '/' || username
                    WHERE json_extract(user_json, '$.realm') <> 'local';
                    UPDATE idempotency_keys SET username = (SELECT r.username FROM requests r WHERE r.id = idempotency_keys.request_id)
                    WHERE EXISTS (SELECT 1 FROM requests r WHERE r.id = idempotency_keys.request_id AND r.username <> idempotency_keys.username);
                    """
            )
        }
        return migrator
    }
}
