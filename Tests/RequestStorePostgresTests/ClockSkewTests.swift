import Foundation
import RequestStorePostgres
import Testing

@Suite("Clock skew between a host and the database")
struct ClockSkewTests {
    let t = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("the database's reading is compared with the middle of the round trip")
    func middleOfTheRoundTrip() throws {
        let ahead = try #require(ClockSkew(localBefore: t, database: t.addingTimeInterval(-4.9), localAfter: t.addingTimeInterval(0.2)))
        #expect(abs(ahead.seconds - 5.0) < 1e-6 && ahead.isTooLarge)
        let behind = try #require(ClockSkew(localBefore: t, database: t.addingTimeInterval(2.1), localAfter: t.addingTimeInterval(0.2)))
        #expect(abs(behind.seconds + 2.0) < 1e-6 && behind.isTooLarge)
        let close = try #require(ClockSkew(localBefore: t, database: t.addingTimeInterval(0.6), localAfter: t.addingTimeInterval(0.4)))
        #expect(!close.isTooLarge)
    }

    @Test("a round trip too slow, or a local clock that stepped back meanwhile, tells nothing")
    func unreliableReadings() {
        #expect(ClockSkew(localBefore: t, database: t, localAfter: t.addingTimeInterval(1.5)) == nil)
        #expect(ClockSkew(localBefore: t, database: t, localAfter: t.addingTimeInterval(-0.1)) == nil)
    }
}
