import Foundation
import PolytopeCore
import PostgresNIO
import RequestStoreSupport

extension PostgresRequestStore {
    // MARK: DispatchStore

    package func waitingUsers() async throws -> [ActiveRequestCounts.CollectionUser] {
        // A loose index scan: one step of the `requests_waiting` index per user.
        try await query(
            """
            WITH RECURSIVE users AS (
                (SELECT collection, username FROM requests WHERE status = 'waiting' ORDER BY collection, username LIMIT 1)
                UNION ALL
                SELECT next.collection, next.username FROM users, LATERAL (
                    SELECT collection, username FROM requests
                    WHERE status = 'waiting' AND (collection, username) > (users.collection, users.username)
                    ORDER BY collection, username LIMIT 1
                ) next
            )
            SELECT collection, username FROM users
            """
        ).map { row in
            .init(collection: try row["collection"].decode(String.self), username: try row["username"].decode(String.self))
        }
    }

    package func waitingRequests(quotas: QuotaTable) async throws -> [DispatchCandidate] {
        guard !quotas.isEmpty else { return [] }
        let entries = Array(quotas)
        let (collections, usernames, limits) = (entries.map(\.key.collection), entries.map(\.key.username), entries.map { Int64($0.value) })
        return try await query(
            """
            SELECT r.seq, r.id, r.username, r.user_json, r.collection
            FROM unnest(\(collections)::text[], \(usernames)::text[], \(limits)::bigint[]) AS q(collection, username, quota),
            LATERAL (
                SELECT seq, id, username, user_json, collection FROM requests
                WHERE status = 'waiting' AND collection = q.collection AND username = q.username ORDER BY seq LIMIT q.quota
            ) r
            ORDER BY r.seq
            """
        ).map { row in
            // Decoded users are kept (`decodeUser`): most waiting requests share a few users.
            let userRoles = try StoredRequestColumns.decodeUser(try row["user_json"].decode(String.self)).roles
            return DispatchCandidate(
                id: try Self.requestID(row), cursor: DispatchCursor(sequence: try row["seq"].decode(Int64.self)),
                username: try row["username"].decode(String.self), roles: userRoles, collection: try row["collection"].decode(String.self)
            )
        }
    }

    package func activeRequestCounts() async throws -> ActiveRequestCounts {
        var counts = ActiveRequestCounts()
        for row in try await query(
            """
            SELECT collection, username, count(*) AS n FROM requests
            WHERE status IN ('queued', 'processing', 'revoked') GROUP BY collection, username
            """
        ) {
            counts.add(
                collection: try row["collection"].decode(String.self), username: try row["username"].decode(String.self),
                count: try row["n"].decode(Int.self))
        }
        return counts
    }

    package func markQueued(_ ids: [RequestIdentifier], at now: Date, leadership: BrokerLeadership?) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        let time = now.timeIntervalSince1970
        let logger = self.logger
        return try await transaction { connection in
            if let leadership {
                // FOR SHARE: a takeover (an UPDATE of this row) waits until this dispatch commits.
                let rows = try await connection.query(
                    "SELECT holder, term FROM broker_leadership WHERE id = 1 FOR SHARE", logger: logger
                ).collect()
                guard let row = rows.first?.makeRandomAccess(), try row["holder"].decode(String.self) == leadership.holder,
                    try row["term"].decode(Int64.self) == leadership.term
                else { throw LeadershipLost(term: leadership.term) }
            }
            return try await connection.query(
                """
                UPDATE requests SET status = 'queued', updated_at = \(time),
                    status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'queued', 'at', \(time)::float8)))::text
                WHERE status = 'waiting' AND id = ANY(\(ids.map(\.description)))
                RETURNING id
                """,
                logger: logger
            ).collect().count
        }
    }

    package func claimLeadership(holder: String, until expiry: Date, at now: Date) async throws -> BrokerLeadership {
        let (until, time) = (expiry.timeIntervalSince1970, now.timeIntervalSince1970)
        let granted = try await query(
            """
            UPDATE broker_leadership SET holder = \(holder), term = CASE WHEN holder = \(holder) THEN term ELSE term + 1 END,
                expires_at = \(until)
            WHERE id = 1 AND (holder = \(holder) OR expires_at <= \(time))
            RETURNING holder, term, expires_at
            """
        )
        let rows = granted.isEmpty ? try await query("SELECT holder, term, expires_at FROM broker_leadership WHERE id = 1") : granted
        guard let row = rows.first else { return BrokerLeadership(holder: "", term: 0, expiresAt: .distantPast) }
        return BrokerLeadership(
            holder: try row["holder"].decode(String.self), term: try row["term"].decode(Int64.self),
            expiresAt: Date(timeIntervalSince1970: try row["expires_at"].decode(Double.self)))
    }

    package func releaseLeadership(holder: String, at now: Date) async throws {
        let time = now.timeIntervalSince1970
        _ = try await query(
            "UPDATE broker_leadership SET expires_at = \(time) WHERE id = 1 AND holder = \(holder) AND expires_at > \(time)")
    }

    package func failWaiting(_ id: RequestIdentifier, message: String, at now: Date) async throws {
        let time = now.timeIntervalSince1970
        _ = try await query(
            """
            UPDATE requests SET status = 'failed', updated_at = \(time),
                user_message = CASE WHEN user_message = '' THEN \(message) ELSE user_message || E'\\n' || \(message) END,
                status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', 'failed', 'at', \(time)::float8)))::text
            WHERE id = \(id.description) AND status = 'waiting'
            """
        )
    }

    package func recoverExpiredLeases(at now: Date, maximumAttempts: Int) async throws -> [LeaseRecovery] {
        let time = now.timeIntervalSince1970
        let logger = self.logger
        return try await transaction { connection in
            let rows = try await connection.query(
                """
                SELECT id, status, attempts, lease_owner, collection, datasource FROM requests
                WHERE lease_expires_at IS NOT NULL AND lease_expires_at < \(time) FOR UPDATE SKIP LOCKED
                """,
                logger: logger
            ).collect().map { $0.makeRandomAccess() }
            var recoveries: [LeaseRecovery] = []
            for row in rows {
                let id = try row["id"].decode(String.self)
                let recovery = LeaseRecovery(
                    id: try Self.requestID(row), status: RequestStatus(rawValue: try row["status"].decode(String.self)) ?? .processing,
                    attempts: try row["attempts"].decode(Int.self), previousOwner: try row["lease_owner"].decode(String?.self) ?? "unknown",
                    maximumAttempts: maximumAttempts, collection: try row["collection"].decode(String.self),
                    datasource: try row["datasource"].decode(String?.self) ?? "")
                if let status = recovery.outcome.status?.rawValue, let message = recovery.userMessage {
                    try await connection.query(
                        """
                        UPDATE requests SET status = \(status), lease_owner = NULL, lease_expires_at = NULL, updated_at = \(time),
                            user_message = CASE WHEN user_message = '' THEN \(message) ELSE user_message || E'\\n' || \(message) END,
                            status_history = (status_history::jsonb || jsonb_build_array(jsonb_build_object('status', \(status)::text, 'at', \(time)::float8)))::text
                        WHERE id = \(id)
                        """,
                        logger: logger
                    )
                } else {
                    try await connection.query("DELETE FROM requests WHERE id = \(id)", logger: logger)
                }
                recoveries.append(recovery)
            }
            return recoveries
        }
    }
}

extension PostgresRequestStore {
    // MARK: QueueStandingStore

    package func statuses(of ids: [RequestIdentifier]) async throws -> [RequestIdentifier: RequestStatus] {
        guard !ids.isEmpty else { return [:] }
        var statuses: [RequestIdentifier: RequestStatus] = [:]
        for row in try await query("SELECT id, status FROM requests WHERE id = ANY(\(ids.map(\.description)))") {
            if let id = RequestIdentifier(try row["id"].decode(String.self)),
                let status = RequestStatus(rawValue: try row["status"].decode(String.self))
            {
                statuses[id] = status
            }
        }
        return statuses
    }

    package func waitingCount(in scope: WaitingScope, before id: RequestIdentifier?, upTo cap: Int) async throws -> Int {
        // Requests arrived before `id` (all of them without one, or when `id` is unknown: no request has id '').
        let (before, maximum) = (id?.description ?? "", Int64.max)
        let rows: [PostgresRandomAccessRow]
        switch scope {
        case .user(let user):
            rows = try await query(
                """
                SELECT count(*) AS n FROM (SELECT 1 FROM requests WHERE status = 'waiting' AND collection = \(user.collection)
                AND username = \(user.username) AND seq < COALESCE((SELECT seq FROM requests WHERE id = \(before)), \(maximum)) LIMIT \(cap)) ahead
                """)
        case .collection(let collection):
            rows = try await query(
                """
                SELECT count(*) AS n FROM (SELECT 1 FROM requests WHERE status = 'waiting' AND collection = \(collection)
                AND seq < COALESCE((SELECT seq FROM requests WHERE id = \(before)), \(maximum)) LIMIT \(cap)) ahead
                """)
        case .all:
            rows = try await query(
                """
                SELECT count(*) AS n FROM (SELECT 1 FROM requests WHERE status = 'waiting'
                AND seq < COALESCE((SELECT seq FROM requests WHERE id = \(before)), \(maximum)) LIMIT \(cap)) ahead
                """)
        }
        return try rows.first?["n"].decode(Int.self) ?? 0
    }

    package func recentFinishes(since: Date, limit: Int) async throws -> [ActiveRequestCounts.CollectionUser] {
        try await query(
            """
            SELECT collection, username FROM requests
            WHERE status IN ('processed', 'failed') AND updated_at >= \(since.timeIntervalSince1970) ORDER BY updated_at DESC LIMIT \(limit)
            """
        ).map { .init(collection: try $0["collection"].decode(String.self), username: try $0["username"].decode(String.self)) }
    }
}
