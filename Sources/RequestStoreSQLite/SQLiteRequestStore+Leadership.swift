import Foundation
import GRDB
import PolytopeCore

extension SQLiteRequestStore {
    package func claimLeadership(holder: String, until expiry: Date, at now: Date) async throws -> BrokerLeadership {
        try await write { db in
            let current = try Self.currentLeadership(db)
            guard current.holder == holder || current.expiresAt <= now else { return current }
            let granted = BrokerLeadership(holder: holder, term: current.holder == holder ? current.term : current.term + 1, expiresAt: expiry)
            try db.cachedStatement(sql: "UPDATE broker_leadership SET holder = ?, term = ?, expires_at = ? WHERE id = 1").execute(arguments: [
                granted.holder, granted.term, granted.expiresAt.timeIntervalSince1970,
            ])
            return granted
        }
    }

    package func releaseLeadership(holder: String, at now: Date) async throws {
        try await write { db in
            try db.cachedStatement(sql: "UPDATE broker_leadership SET expires_at = ? WHERE id = 1 AND holder = ? AND expires_at > ?").execute(
                arguments: [now.timeIntervalSince1970, holder, now.timeIntervalSince1970])
        }
    }

    /// Throws `LeadershipLost` unless `leadership` is still the current term (inside the
    /// write transaction that queues, so no other broker can take over in between).
    static func checkLeadership(_ leadership: BrokerLeadership, _ db: Database) throws {
        let current = try currentLeadership(db)
        guard current.holder == leadership.holder, current.term == leadership.term else { throw LeadershipLost(term: leadership.term) }
    }

    private static func currentLeadership(_ db: Database) throws -> BrokerLeadership {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT holder, term, expires_at FROM broker_leadership WHERE id = 1")) else {
            return BrokerLeadership(holder: "", term: 0, expiresAt: .distantPast)
        }
        return BrokerLeadership(holder: row["holder"], term: row["term"], expiresAt: Date(timeIntervalSince1970: row["expires_at"]))
    }
}
