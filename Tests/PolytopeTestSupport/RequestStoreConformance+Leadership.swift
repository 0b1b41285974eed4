import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let leadershipChecks: [Check] = [
        Check(description: "one broker holds the leadership lease; a standby takes it over once it lapses, in a new term") { store in
            let first = try await store.claimLeadership(holder: "a", until: t0 + 10, at: t0)
            try expect(first.holder == "a" && first.expiresAt == t0 + 10, "the first claim wins")
            let refused = try await store.claimLeadership(holder: "b", until: t0 + 12, at: t0 + 2)
            try expect(refused == first, "a standby's claim leaves a live lease as it is: \(refused)")
            let renewed = try await store.claimLeadership(holder: "a", until: t0 + 14, at: t0 + 4)
            try expect(renewed.holder == "a" && renewed.term == first.term && renewed.expiresAt == t0 + 14, "the holder renews in its term")
            let takeover = try await store.claimLeadership(holder: "b", until: t0 + 24, at: t0 + 14)
            try expect(takeover.holder == "b" && takeover.term == first.term + 1, "a lapsed lease passes on, in a new term: \(takeover)")
            let back = try await store.claimLeadership(holder: "a", until: t0 + 30, at: t0 + 20)
            try expect(back == takeover, "the old holder cannot take it back while it is live")
        },
        Check(description: "a dispatch in an ended term queues nothing; one in the current term queues") { store in
            let record = Fixtures.record()
            try await store.insert(record)
            let old = try await store.claimLeadership(holder: "a", until: t0 + 10, at: t0)
            let current = try await store.claimLeadership(holder: "b", until: t0 + 30, at: t0 + 11)
            do {
                _ = try await store.markQueued([record.id], at: t0 + 12, leadership: old)
                try expect(false, "the old term is refused")
            } catch is LeadershipLost {}
            try expect(try await store.request(id: record.id)?.status == .waiting, "nothing was queued")
            let queued = try await store.markQueued([record.id], at: t0 + 12, leadership: current)
            try expect(queued == 1, "the current term queues")
            // The same holder coming back after another one held the lease has a new term too.
            _ = try await store.claimLeadership(holder: "a", until: t0 + 50, at: t0 + 31)
            let second = Fixtures.record(at: t0 + 1)
            try await store.insert(second)
            do {
                _ = try await store.markQueued([second.id], at: t0 + 32, leadership: old)
                try expect(false, "a holder's earlier term stays ended")
            } catch is LeadershipLost {}
        },
        Check(description: "a released lease is taken over at once") { store in
            let held = try await store.claimLeadership(holder: "a", until: t0 + 10, at: t0)
            try await store.releaseLeadership(holder: "b", at: t0 + 1)
            try expect(try await store.claimLeadership(holder: "b", until: t0 + 12, at: t0 + 2) == held, "only the holder releases")
            try await store.releaseLeadership(holder: "a", at: t0 + 3)
            let next = try await store.claimLeadership(holder: "b", until: t0 + 14, at: t0 + 4)
            try expect(next.holder == "b" && next.term == held.term + 1, "taken over before the lapse: \(next)")
        },
    ]
}
