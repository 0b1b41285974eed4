import GRDB

/// Reads `EXPLAIN QUERY PLAN` output, to check that hot queries use an index.
struct SQLiteQueryPlans {
    let queue: DatabaseQueue

    init(path: String) throws {
        queue = try DatabaseQueue(path: path)
    }

    func plan(for query: String) throws -> String {
        try queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \(query)").map { $0["detail"] as String }.joined(separator: "\n")
        }
    }
}
