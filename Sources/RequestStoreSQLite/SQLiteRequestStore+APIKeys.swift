import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    package func insertAPIKey(_ key: APIKeyRecord) async throws {
        try await write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO api_keys (id, key_hash, username, user_json, label, created_at, expires_at, revoked_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                key.id, key.keyHash, key.user.username, SQLiteRow.userJSON(key.user), key.label,
                key.createdAt.timeIntervalSince1970, key.expiresAt.timeIntervalSince1970, key.revokedAt?.timeIntervalSince1970,
            ]
            )
        }
    }

    package func apiKey(withHash hash: String) async throws -> APIKeyRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_keys WHERE key_hash = ?"), arguments: [hash]).map(Self.apiKey)
        }
    }

    package func apiKeys(ofUser username: String?) async throws -> [APIKeyRecord] {
        try await read { db in
            if let username {
                return try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM api_keys WHERE username = ? ORDER BY created_at DESC"), arguments: [username]
                )
                .map(Self.apiKey)
            }
            return try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM api_keys ORDER BY created_at DESC")).map(Self.apiKey)
        }
    }

    package func revokeAPIKey(id: String, at now: Date) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").execute(arguments: [
                now.timeIntervalSince1970, id,
            ]
            )
            return db.changesCount == 1
        }
    }

    package func pruneAPIKeys(unusableBefore cutoff: Date) async throws -> Int {
        try await write { db in
            let time = cutoff.timeIntervalSince1970
            try db.cachedStatement(sql: "DELETE FROM api_keys WHERE expires_at < ? OR revoked_at < ?").execute(arguments: [time, time])
            return db.changesCount
        }
    }

    private static func apiKey(_ row: Row) throws -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"],
            keyHash: row["key_hash"],
            user: try SQLiteRow.decodeUser(row["user_json"]),
            label: row["label"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }
}
