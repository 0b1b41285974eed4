import Foundation
import GRDB
import MarsLanguage

/// The index of a `GribArchive`: one SQLite file in WAL mode mapping each field's canonical
/// key to where its bytes are, and listing the values each key has (the planner's catalog).
///
/// Several processes may share the file: writers wait for each other (busy timeout), readers
/// never wait. Commits are flushed to disk (`synchronous=FULL`), like the archive's files.
final class ArchiveIndex: Sendable {
    /// One field to index.
    struct Entry: Sendable {
        var key: FieldKey
        var file: String
        var offset: Int64
        var length: Int64
        /// The field's grid and data section; nil when ecCodes could not read them.
        var layout: FieldLayout?
    }

    let pool: DatabasePool
    /// Layouts already read, shared by this index's readers.
    let layoutCache = FieldLayoutCache()

    init(path: String, busyTimeout: TimeInterval = 30) throws {
        var configuration = GRDB.Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "polytope.grib-archive"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: fields") { db in
            try db.execute(
                sql: """
                    CREATE TABLE fields (
                        key TEXT PRIMARY KEY NOT NULL,
                        schema TEXT NOT NULL,
                        file TEXT NOT NULL,
                        offset INTEGER NOT NULL,
                        length INTEGER NOT NULL,
                        archived_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    -- the planner's catalog: which keys each schema has, and their values
                    CREATE TABLE key_values (
                        schema TEXT NOT NULL,
                        key TEXT NOT NULL,
                        value TEXT NOT NULL,
                        PRIMARY KEY (schema, key, value)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2: field layouts") { db in try Self.addLayoutColumns(db) }
        return migrator
    }

    /// Indexes `entries` in one transaction; an entry whose key is already indexed replaces
    /// it (the last of equal keys in `entries` wins).
    func record(_ entries: [Entry], at date: Date) async throws {
        try await pool.write { db in
            let field = try db.cachedStatement(
                sql: """
                    INSERT INTO fields (key, schema, file, offset, length, archived_at) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(key) DO UPDATE SET schema = excluded.schema, file = excluded.file, offset = excluded.offset,
                        length = excluded.length, archived_at = excluded.archived_at
                    """)
            let value = try db.cachedStatement(sql: "INSERT OR IGNORE INTO key_values (schema, key, value) VALUES (?, ?, ?)")
            var cataloged: Set<String> = []
            var grids = GridIdentifiers()
            for entry in entries {
                let schema = entry.key.schema
                try field.execute(arguments: [entry.key.canonical, schema, entry.file, entry.offset, entry.length, date.timeIntervalSince1970])
                try Self.storeLayout(entry.layout, key: entry.key.canonical, file: entry.file, offset: entry.offset, grids: &grids, in: db)
                for (key, text) in entry.key.values where cataloged.insert("\(schema)|\(key)=\(text)").inserted {
                    try value.execute(arguments: [schema, key, text])
                }
            }
        }
    }

    /// The plan of `request`, made from one consistent snapshot of the index.
    func plan(
        _ request: NormalisedRequest, planner: RetrievalPlanner, keep: (@Sendable (ArchivedField) -> Bool)? = nil
    ) async throws -> RetrievalPlan {
        try await pool.read { db in try Self.plan(request, planner: planner, keep: keep, in: db) }
    }

    /// `plan(_:planner:keep:)` without suspending, for checks made while a request is submitted.
    func planNow(
        _ request: NormalisedRequest, planner: RetrievalPlanner, keep: (@Sendable (ArchivedField) -> Bool)? = nil
    ) throws -> RetrievalPlan {
        try pool.read { db in try Self.plan(request, planner: planner, keep: keep, in: db) }
    }

    private static func plan(
        _ request: NormalisedRequest, planner: RetrievalPlanner, keep: (@Sendable (ArchivedField) -> Bool)?, in db: Database
    ) throws -> RetrievalPlan {
        var catalog: RetrievalPlanner.Catalog = [:]
        for row in try Row.fetchAll(db, sql: "SELECT schema, key, value FROM key_values") {
            catalog[row["schema"], default: [:]][row["key"], default: []].append(row["value"])
        }
        for (schema, keys) in catalog {
            for (key, values) in keys { catalog[schema]![key] = RetrievalPlanner.ordered(values) }
        }
        let statement = try db.cachedStatement(sql: "SELECT file, offset, length FROM fields WHERE key = ?")
        return try planner.plan(request, catalog: catalog, keep: keep) { key in
            try Row.fetchOne(statement, arguments: [key]).map { row in
                ArchivedField(key: key, file: row[0], offset: row[1], length: row[2])  // by index: ~1,000 rows a request
            }
        }
    }

    /// The values each of `keys` has in the index (over every schema), each set once.
    func values(of keys: [String]) async throws -> [String: Set<String>] {
        try await pool.read { db in
            var values: [String: Set<String>] = [:]
            let statement = try db.cachedStatement(sql: "SELECT DISTINCT value FROM key_values WHERE key = ?")
            for key in keys {
                values[key] = Set(try String.fetchAll(statement, arguments: [key]))
            }
            return values
        }
    }

    /// The number of fields indexed.
    func fieldCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM fields") ?? 0 }
    }

    /// Where the field with canonical key `key` is, if indexed.
    func field(key: String) async throws -> ArchivedField? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT file, offset, length FROM fields WHERE key = ?", arguments: [key]).map { row in
                ArchivedField(key: key, file: row["file"], offset: row["offset"], length: row["length"])
            }
        }
    }
}
