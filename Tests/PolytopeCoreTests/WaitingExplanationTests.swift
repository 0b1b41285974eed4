import PolytopeCore
import Testing

@Suite("Why a request waits")
struct WaitingExplanationTests {
    func active(_ entries: [(String, String, Int)]) -> ActiveRequestCounts {
        var counts = ActiveRequestCounts()
        for (collection, user, count) in entries { counts.add(collection: collection, username: user, count: count) }
        return counts
    }

    @Test("the holding limit is found in the broker's order: global, collection, user")
    func holdingLimit() {
        let limits = CollectionLimits(total: 4, perUser: 2, perRole: ["vip": 3])
        func limit(_ counts: ActiveRequestCounts, roles: [String] = ["default"], maximumActive: Int? = 10) -> WaitingExplanation.Limit {
            WaitingExplanation.holdingLimit(
                collection: "c", username: "a", roles: roles, limits: limits, maximumActive: maximumActive, active: counts)
        }
        #expect(limit(active([("c", "a", 2)])) == .perUser(collection: "c", limit: 2, active: 2))
        #expect(limit(active([("c", "a", 2)]), roles: ["vip"]) == WaitingExplanation.Limit.none, "the role's allowance is higher")
        #expect(limit(active([("c", "a", 1), ("c", "b", 3)])) == .collection("c", limit: 4, active: 4))
        #expect(limit(active([("c", "a", 2), ("d", "b", 8)])) == .global(limit: 10, active: 10))
        #expect(limit(active([("c", "a", 2), ("d", "b", 8)]), maximumActive: nil) == .perUser(collection: "c", limit: 2, active: 2))
    }

    @Test("the message names the limit, the position and an estimate; the fields carry the same")
    func message() {
        let rates = RecentRates(
            finishes: Array(repeating: .init(collection: "debug", username: "alice"), count: 12), window: .seconds(60))
        let limit = WaitingExplanation.Limit.perUser(collection: "debug", limit: 8, active: 8)
        let explanation = WaitingExplanation(limit: limit, ahead: 7, rate: rates.rate(for: limit, username: "alice"))
        #expect(
            explanation.message
                == "Request waiting: per-user limit 8 in collection debug: 8 of your requests are active; "
                + "this is number 8 among your requests waiting there; about 40 s at the recent rate.")
        #expect(
            explanation.fields
                == .object([
                    "limit": .string("per-user"), "limitValue": .number(8), "active": .number(8), "position": .number(8),
                    "estimatedSeconds": .number(40),
                ]))
        #expect(rates.rate(for: limit, username: "bob") == nil)
        #expect(abs((rates.rate(for: .collection("debug", limit: 1, active: 1), username: "bob") ?? 0) - 0.2) < 1e-9)
    }

    @Test("without recent finishes there is no estimate; far back positions are capped; a free place says so")
    func edges() {
        let collection = WaitingExplanation(limit: .collection("c", limit: 20, active: 20), ahead: 3, rate: nil)
        #expect(
            collection.message.hasSuffix("this is number 4 among the requests waiting there; no estimate yet (nothing finished in the last minute)."))
        let far = WaitingExplanation(limit: .global(limit: 64, active: 64), ahead: WaitingExplanation.positionCap, rate: 5)
        #expect(far.message.contains("further back than number 10000") && far.estimatedSeconds == nil)
        #expect(WaitingExplanation(limit: .none, ahead: 0, rate: nil).message == "Request waiting: a place is free; it is being queued.")
        let uncounted = WaitingExplanation(limit: .collection("c", limit: 2, active: 2), ahead: nil, rate: 1)
        #expect(uncounted.position == nil && !uncounted.message.contains("about"))
        #expect(WaitingExplanation(limit: .global(limit: 1, active: 1), ahead: 599, rate: 1).message.contains("about 10 min"))
    }
}
