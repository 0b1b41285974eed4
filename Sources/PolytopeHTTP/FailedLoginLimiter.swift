import Foundation
import PolytopeCore

/// Decides whether a sign-in may be checked at all, from the failures seen recently for the
/// same client address and for the same user name. Pure: the caller passes the time.
///
/// Each key (an address, a user name) has a bucket of `capacity` failures that refills at
/// `capacity` per `window`; while a bucket is empty, sign-ins for that key are refused
/// without checking their credentials (HTTP 429 with `Retry-After`), so guessing costs the
/// server almost nothing. Successes do not drain the bucket. Addresses are counted as
/// `ClientAddress.limitKey` says (IPv6 by /64). At most `maximumKeys` buckets are kept; when
/// the table is full, drained buckets are forgotten first, then the least recently failed.
package struct FailedLoginLimiter: Sendable {
    /// How many failures each kind of key may have.
    package struct Policy: Sendable, Hashable {
        /// Failures allowed from one client address in a burst; nil: no limit.
        package var perAddress: Int?
        /// Failures allowed for one user name in a burst; nil: no limit.
        package var perUser: Int?
        /// The time over which a whole burst is allowed again.
        package var window: Duration
        /// The most keys remembered (memory stays bounded whatever an attacker sends).
        package var maximumKeys: Int

        package init(perAddress: Int? = 30, perUser: Int? = 10, window: Duration = .seconds(60), maximumKeys: Int = 100_000) {
            self.perAddress = perAddress
            self.perUser = perUser
            self.window = window
            self.maximumKeys = maximumKeys
        }
    }

    /// What a sign-in may do.
    package enum Decision: Sendable, Hashable {
        case check
        /// Refuse it; `kind` is `address` or `user`.
        case refuse(kind: String, retryAfter: Int)
    }

    private struct Bucket: Sendable {
        var failures: Double
        var updated: Date
    }

    package let policy: Policy
    private var buckets: [String: Bucket] = [:]

    package init(policy: Policy) {
        self.policy = policy
    }

    /// Whether a sign-in from `address` naming `users` may be checked now.
    package func decide(address: String?, users: [String], at now: Date) -> Decision {
        if let address, let limit = policy.perAddress, let wait = wait(for: "a:" + ClientAddress.limitKey(address), limit: limit, at: now) {
            return .refuse(kind: "address", retryAfter: wait)
        }
        if let limit = policy.perUser {
            for user in users {
                if let wait = wait(for: "u:" + user, limit: limit, at: now) { return .refuse(kind: "user", retryAfter: wait) }
            }
        }
        return .check
    }

    /// Counts a failed sign-in against `address` and `users`.
    package mutating func recordFailure(address: String?, users: [String], at now: Date) {
        if let address, let limit = policy.perAddress { add(key: "a:" + ClientAddress.limitKey(address), limit: limit, at: now) }
        if let limit = policy.perUser {
            for user in Set(users) { add(key: "u:" + user, limit: limit, at: now) }
        }
    }

    /// Seconds until `key` may fail once more, or nil if it may now.
    private func wait(for key: String, limit: Int, at now: Date) -> Int? {
        guard let bucket = buckets[key] else { return nil }
        let failures = drained(bucket, limit: limit, at: now)
        guard failures + 1 > Double(limit) else { return nil }
        let perFailure = policy.window.timeInterval / Double(limit)
        return max(1, Int(((failures + 1 - Double(limit)) * perFailure).rounded(.up)))
    }

    private mutating func add(key: String, limit: Int, at now: Date) {
        let failures = buckets[key].map { drained($0, limit: limit, at: now) } ?? 0
        if buckets[key] == nil, buckets.count >= policy.maximumKeys { forgetQuietKeys(at: now) }
        buckets[key] = Bucket(failures: failures + 1, updated: now)
    }

    /// Failures still counted once time has refilled the bucket.
    private func drained(_ bucket: Bucket, limit: Int, at now: Date) -> Double {
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        return max(0, bucket.failures - elapsed * Double(limit) / policy.window.timeInterval)
    }

    /// Drops keys whose failures have drained and, if more than half the table is still
    /// busy, all but the newest half: the next `maximumKeys / 2` new keys then cost no pass
    /// at all, so an attacker keeping the table full cannot make each key cost a pass over it,
    /// and a user name under attack (updated at every guess) keeps its count.
    private mutating func forgetQuietKeys(at now: Date) {
        let horizon = policy.window.timeInterval
        buckets = buckets.filter { now.timeIntervalSince($0.value.updated) < horizon }
        let keep = policy.maximumKeys / 2
        guard buckets.count > keep else { return }
        let newest = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(keep)
        buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }
}
