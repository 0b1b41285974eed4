import Broker
import Foundation
import PolytopeCore
import Testing

@Suite("Leadership lease: when a broker claims, and whether it may dispatch")
struct LeadershipLeaseTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a lease lasts two thirds of the takeover time and is claimed every sixth of it")
    func timing() {
        var lease = LeadershipLease(holder: "a", takeover: .seconds(12))
        #expect(lease.claimDue(at: t0), "the first claim is due at once")
        #expect(lease.expiry(claimedAt: t0) == t0 + 8)
        #expect(lease.record(BrokerLeadership(holder: "a", term: 1, expiresAt: t0 + 8), at: t0) == .gained)
        #expect(!lease.claimDue(at: t0 + 1.9) && lease.claimDue(at: t0 + 2))
        #expect(lease.timeUntilClaim(at: t0 + 0.5) == .seconds(1.5))
        #expect(lease.leadership(at: t0 + 7.9)?.term == 1)
        #expect(lease.leadership(at: t0 + 8) == nil, "a lease not renewed in time stops dispatching")
    }

    @Test("a holder that dies is replaced within the takeover time, whatever the phase of the claims")
    func takeoverBound() {
        let takeover = 12.0
        for offset in stride(from: 0.0, to: 2.0, by: 0.25) {
            // The holder's last renewal was at `offset`; a standby claims every 2 s from 0.
            let lapse = offset + takeover * 2 / 3
            let takenAt = stride(from: 0.0, through: 100, by: takeover / 6).first { $0 >= lapse }!
            #expect(takenAt - offset <= takeover)
        }
    }

    @Test("a standby sees the holder; a refused dispatch makes it claim again at once")
    func standby() {
        var lease = LeadershipLease(holder: "b", takeover: .seconds(12))
        #expect(lease.record(BrokerLeadership(holder: "a", term: 3, expiresAt: t0 + 8), at: t0) == .standsBy(leader: "a"))
        #expect(lease.record(BrokerLeadership(holder: "a", term: 3, expiresAt: t0 + 10), at: t0 + 2) == .unchanged, "said once")
        #expect(lease.leadership(at: t0) == nil)
        #expect(lease.record(BrokerLeadership(holder: "b", term: 4, expiresAt: t0 + 16), at: t0 + 8) == .gained)
        #expect(lease.record(BrokerLeadership(holder: "a", term: 5, expiresAt: t0 + 20), at: t0 + 12) == .lost(to: "a"))
        #expect(lease.record(BrokerLeadership(holder: "b", term: 6, expiresAt: t0 + 30), at: t0 + 22) == .gained)
        lease.recordLost()
        #expect(lease.leadership(at: t0 + 23) == nil && lease.claimDue(at: t0 + 23))
    }
}
