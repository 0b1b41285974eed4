import Foundation
import PolytopeCore
import PostgresNIO
import RequestStoreSupport

extension PostgresRequestStore {
    package func insertReusingResult(_ record: RequestRecord, since: Date) async throws -> RequestIdentifier? {
        let normalised = try StoredRequestColumns(record).normalisedJSON
        let (collection, datasource, cutoff) = (record.collection, record.datasource, since.timeIntervalSince1970)
        let logger = self.logger
        return try await transaction { connection in
            // FOR SHARE: the source cannot be deleted (and its result with it) before this commits.
            let rows = try await connection.query(
                """
                SELECT id, updated_at, staging_key, content_type, content_length FROM requests
                WHERE status = 'processed' AND staging_key IS NOT NULL AND request_normalised = \(normalised)
                    AND collection = \(collection) AND datasource = \(datasource) AND verb = 'retrieve' AND updated_at >= \(cutoff)
                ORDER BY updated_at DESC LIMIT 1 FOR SHARE
                """,
                logger: logger
            ).collect()
            guard let source = rows.first?.makeRandomAccess(), let result = try Self.result(source) else { return nil }
            var reusing = record
            reusing.result = result
            reusing.stagedBytes = result.contentLength
            // As old as the result it shares: it expires with it, and cannot make it look young.
            reusing.updatedAt = Date(timeIntervalSince1970: try source["updated_at"].decode(Double.self))
            try await connection.query(try Self.insertQuery(reusing), logger: logger)
            return try Self.requestID(source)
        }
    }
}
