import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let apiKeyChecks: [Check] = [
        Check(description: "API keys expired or revoked before the cutoff are forgotten; usable ones and recent ones stay") { store in
            func key(_ id: String, expires: Date, revoked: Date? = nil) -> APIKeyRecord {
                APIKeyRecord(
                    id: id, keyHash: "hash-\(id)", user: Fixtures.alice, label: "web session", createdAt: t0 - 100, expiresAt: expires,
                    revokedAt: revoked)
            }
            try await store.insertAPIKey(key("expired-long-ago", expires: t0 - 50))
            try await store.insertAPIKey(key("revoked-long-ago", expires: t0 + 1000, revoked: t0 - 50))
            try await store.insertAPIKey(key("expired-lately", expires: t0 + 5))
            try await store.insertAPIKey(key("usable", expires: t0 + 1000))
            let pruned = try await store.pruneAPIKeys(unusableBefore: t0)
            try expect(pruned == 2, "two keys pruned, not \(pruned)")
            let left = Set(try await store.apiKeys(ofUser: "alice").map(\.id))
            try expect(left == ["expired-lately", "usable"], "left: \(left)")
        }
    ]
}
