import Foundation
import PolytopeHTTP
import Testing

@Suite("Failed sign-in limiter")
struct FailedLoginLimiterTests {
    let start = Date(timeIntervalSince1970: 1_000_000)

    @Test("an address may fail its burst, then waits; the bucket refills over the window")
    func addressBurst() {
        var limiter = FailedLoginLimiter(policy: .init(perAddress: 3, perUser: nil, window: .seconds(60)))
        for _ in 0..<3 {
            #expect(limiter.decide(address: "10.0.0.1", users: [], at: start) == .check)
            limiter.recordFailure(address: "10.0.0.1", users: [], at: start)
        }
        #expect(limiter.decide(address: "10.0.0.1", users: [], at: start) == .refuse(kind: "address", retryAfter: 20))
        #expect(limiter.decide(address: "10.0.0.2", users: [], at: start) == .check, "other addresses are not affected")
        #expect(limiter.decide(address: "10.0.0.1", users: [], at: start + 19) != .check)
        #expect(limiter.decide(address: "10.0.0.1", users: [], at: start + 20) == .check, "one failure refilled after window/limit")
        #expect(limiter.decide(address: nil, users: [], at: start) == .check, "no address: only the user limit applies")
    }

    @Test("a user name is limited whatever the address, and successes cost nothing")
    func userBurst() {
        var limiter = FailedLoginLimiter(policy: .init(perAddress: 100, perUser: 2, window: .seconds(10)))
        limiter.recordFailure(address: "a", users: ["alice"], at: start)
        limiter.recordFailure(address: "b", users: ["alice", "alice"], at: start)
        #expect(limiter.decide(address: "c", users: ["bob", "alice"], at: start) == .refuse(kind: "user", retryAfter: 5))
        #expect(limiter.decide(address: "c", users: ["bob"], at: start) == .check)
        #expect(limiter.decide(address: "c", users: ["alice"], at: start + 10) == .check)
    }

    @Test("limits can be turned off")
    func off() {
        var limiter = FailedLoginLimiter(policy: .init(perAddress: nil, perUser: nil))
        for _ in 0..<1000 { limiter.recordFailure(address: "a", users: ["u"], at: start) }
        #expect(limiter.decide(address: "a", users: ["u"], at: start) == .check)
    }

    @Test("memory stays bounded: past the most keys, quiet keys are forgotten first")
    func boundedKeys() {
        var limiter = FailedLoginLimiter(policy: .init(perAddress: 1, perUser: nil, window: .seconds(60), maximumKeys: 100))
        for index in 0..<100 { limiter.recordFailure(address: "old\(index)", users: [], at: start) }
        limiter.recordFailure(address: "busy", users: [], at: start + 59)
        for index in 0..<50 { limiter.recordFailure(address: "new\(index)", users: [], at: start + 120) }
        #expect(limiter.decide(address: "new0", users: [], at: start + 120) != .check)
        #expect(limiter.decide(address: "old0", users: [], at: start + 120) == .check)
    }

    @Test("IPv6 clients are counted by /64, as one host or site holds a whole /64; IPv4-mapped ones by their IPv4 address")
    func ipv6Prefixes() {
        #expect(ClientAddress.limitKey("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(ClientAddress.limitKey("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(ClientAddress.limitKey("::ffff:192.0.2.7") == "192.0.2.7")
        #expect(ClientAddress.limitKey("192.0.2.7") == "192.0.2.7")
        #expect(ClientAddress.limitKey("not an address") == "not an address")
        var limiter = FailedLoginLimiter(policy: .init(perAddress: 2, perUser: nil, window: .seconds(60)))
        limiter.recordFailure(address: "2001:db8:1:2::1", users: [], at: start)
        limiter.recordFailure(address: "2001:db8:1:2::2", users: [], at: start)
        #expect(limiter.decide(address: "2001:db8:1:2::3", users: [], at: start) != .check, "another address of the same /64")
        #expect(limiter.decide(address: "2001:db8:1:3::1", users: [], at: start) == .check, "another /64")
    }

    @Test("a full table of busy keys keeps the newest half, so a user under attack keeps their count")
    func fullOfBusyKeys() {
        var limiter = FailedLoginLimiter(policy: .init(perAddress: 5, perUser: 2, window: .seconds(60), maximumKeys: 100))
        limiter.recordFailure(address: nil, users: ["alice"], at: start)
        for index in 0..<98 { limiter.recordFailure(address: "10.0.\(index / 256).\(index % 256)", users: [], at: start + 1) }
        limiter.recordFailure(address: nil, users: ["alice"], at: start + 2)
        limiter.recordFailure(address: "10.1.0.0", users: [], at: start + 3)  // full: the table is halved
        #expect(limiter.decide(address: nil, users: ["alice"], at: start + 3) != .check, "alice's failures are still counted")
        #expect(limiter.decide(address: "10.1.0.0", users: [], at: start + 3) == .check, "one failure of five")
    }
}
