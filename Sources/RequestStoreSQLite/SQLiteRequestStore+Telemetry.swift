import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    /// Requests per collection and status, each part found through an index: finished ones
    /// counted in `requests_finished_by_collection` alone, waiting ones through
    /// `requests_waiting`, and the few uploading or active ones through `requests_by_status`
    /// (active: queued, processing, and revoked ones still stopping on a worker, which hold
    /// their places until then). Reading every row instead took a third of a second at 300,000
    /// stored requests.
    static let statisticsSQL = """
        SELECT collection, status, count(*) AS n FROM requests INDEXED BY requests_finished_by_collection
            WHERE status IN ('processed', 'failed') GROUP BY collection, status
        UNION ALL SELECT collection, 'waiting', count(*) FROM requests INDEXED BY requests_waiting WHERE status = 'waiting' GROUP BY collection
        UNION ALL SELECT collection, status, count(*) FROM requests WHERE status IN ('uploading', 'queued', 'processing', 'revoked')
            GROUP BY collection, status
        """

    package func statistics() async throws -> RequestStatistics {
        try await read { db in
            var statistics = RequestStatistics()
            let rows = try Row.fetchAll(db.cachedStatement(sql: Self.statisticsSQL))
            for row in rows {
                statistics.byCollection[row["collection"], default: [:]][row["status"]] = row["n"]
            }
            let oldest = try Double.fetchOne(db.cachedStatement(sql: "SELECT created_at FROM requests WHERE status = 'waiting' ORDER BY seq LIMIT 1"))
            statistics.oldestWaitingSince = oldest.map(Date.init(timeIntervalSince1970:))
            return statistics
        }
    }

    package func requests(matching query: RequestQuery) async throws -> RequestPage {
        try await read { db in
            var conditions = ["status != 'revoked'"]
            var arguments: StatementArguments = []
            if let after = query.after {
                conditions.append("seq < ?")
                arguments += [after.sequence]
            }
            if let status = query.status {
                conditions.append("status = ?")
                arguments += [status.rawValue]
            }
            if let username = query.username {
                conditions.append("username = ?")
                arguments += [username]
            }
            if let collection = query.collection {
                conditions.append("collection = ?")
                arguments += [collection]
            }
            arguments += [query.limit + 1]
            let sql = "SELECT * FROM requests WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?"
            return try SQLiteRow.page(Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments), limit: query.limit)
        }
    }

    package func submissionsPerMinute(from first: Int64) async throws -> [Int64: Int] {
        try await read { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT CAST(created_at / 60 AS INTEGER) AS minute, count(*) AS n FROM requests WHERE created_at >= ? GROUP BY minute"),
                arguments: [Double(first) * 60])
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["minute"] as Int64, $0["n"] as Int) })
        }
    }

    package func reportWorker(_ status: WorkerStatus) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO workers (id, slots, busy, started_at, seen_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET slots = excluded.slots, busy = excluded.busy, seen_at = excluded.seen_at
                    """
            ).execute(arguments: [
                status.id, status.slots, status.busy, status.startedAt.timeIntervalSince1970, status.seenAt.timeIntervalSince1970,
            ]
            )
        }
    }

    package func removeWorker(id: String) async throws {
        try await write { db in
            try db.cachedStatement(sql: "DELETE FROM workers WHERE id = ?").execute(arguments: [id])
        }
    }

    package func workers(seenSince date: Date) async throws -> [WorkerStatus] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM workers WHERE seen_at >= ? ORDER BY id"), arguments: [date.timeIntervalSince1970])
                .map { row in
                    WorkerStatus(
                        id: row["id"], slots: row["slots"], busy: row["busy"],
                        startedAt: Date(timeIntervalSince1970: row["started_at"]), seenAt: Date(timeIntervalSince1970: row["seen_at"])
                    )
                }
        }
    }
}

extension SQLiteRequestStore {
    // MARK: QueueStandingStore

    package func statuses(of ids: [RequestIdentifier]) async throws -> [RequestIdentifier: RequestStatus] {
        try await read { db in
            var statuses: [RequestIdentifier: RequestStatus] = [:]
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT id, status FROM requests WHERE id IN (SELECT value FROM json_each(?))"),
                arguments: [SQLiteRow.idList(ids)])
            while let row = try rows.next() {
                if let id = RequestIdentifier(row["id"] as String), let status = RequestStatus(rawValue: row["status"]) { statuses[id] = status }
            }
            return statuses
        }
    }

    package func waitingCount(in scope: WaitingScope, before id: RequestIdentifier?, upTo cap: Int) async throws -> Int {
        try await read { db in
            var conditions = ["status = 'waiting'"]
            var arguments: StatementArguments = []
            switch scope {
            case .user(let user):
                conditions += ["collection = ?", "username = ?"]
                arguments += [user.collection, user.username]
            case .collection(let collection):
                conditions.append("collection = ?")
                arguments += [collection]
            case .all: break
            }
            if let id, let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM requests WHERE id = ?"), arguments: [id.description]) {
                conditions.append("seq < ?")
                arguments += [seq]
            }
            arguments += [cap]
            let sql = "SELECT count(*) FROM (SELECT 1 FROM requests WHERE \(conditions.joined(separator: " AND ")) LIMIT ?)"
            return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
        }
    }

    /// Named index: without `ANALYZE` statistics SQLite would pick `requests_by_status` and sort
    /// every finished request (a second per call with a million stored).
    package func recentFinishes(since: Date, limit: Int) async throws -> [ActiveRequestCounts.CollectionUser] {
        try await read { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT collection, username FROM requests INDEXED BY requests_finished
                        WHERE status IN ('processed', 'failed') AND updated_at >= ? ORDER BY updated_at DESC LIMIT ?
                        """),
                arguments: [since.timeIntervalSince1970, limit]
            ).map { .init(collection: $0["collection"], username: $0["username"]) }
        }
    }
}
