import Foundation
import GRDB
import PolytopeCore
import RequestStoreSupport

extension SQLiteRequestStore {
    package func insertReusingResult(_ record: RequestRecord, since: Date) async throws -> RequestIdentifier? {
        let normalised = try StoredRequestColumns(record).normalisedJSON
        return try await write { db in
            guard
                let source = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            SELECT id, updated_at, \(SQLiteRow.stagedColumns) FROM requests INDEXED BY requests_reusable
                            WHERE status = 'processed' AND staging_key IS NOT NULL AND collection = ? AND datasource = ? AND request_normalised = ?
                                AND verb = 'retrieve' AND updated_at >= ?
                            ORDER BY updated_at DESC LIMIT 1
                            """),
                    arguments: [record.collection, record.datasource, normalised, since.timeIntervalSince1970]),
                let result = SQLiteRow.result(source)
            else { return nil }
            var reusing = record
            reusing.result = result
            reusing.stagedBytes = result.contentLength
            // As old as the result it shares: it expires with it, and cannot make it look young.
            reusing.updatedAt = Date(timeIntervalSince1970: source["updated_at"])
            try db.cachedStatement(sql: SQLiteRow.insertSQL).execute(arguments: try SQLiteRow(reusing).arguments)
            return try SQLiteRow.requestID(source["id"])
        }
    }
}
