import Broker
import PolytopeCore
import Testing

@Suite("Dispatch planner")
struct DispatchPlannerTests {
    func candidate(_ user: String, _ collection: String = "c", roles: [String] = ["default"]) -> DispatchCandidate {
        DispatchCandidate(id: RequestIdentifier(), cursor: DispatchCursor(sequence: 0), username: user, roles: roles, collection: collection)
    }

    func decide(_ policy: DispatchPlanner.Policy, active: ActiveRequestCounts = ActiveRequestCounts(), _ candidates: [DispatchCandidate])
        -> [DispatchPlanner.Decision]
    {
        var planner = DispatchPlanner(policy: policy, active: active)
        return candidates.map { planner.consider($0) }
    }

    @Test("without limits everything is admitted in order")
    func unlimited() {
        let decisions = decide(.init(collections: ["c": CollectionLimits()]), (0..<5).map { _ in candidate("a") })
        #expect(decisions == Array(repeating: .admit, count: 5))
    }

    @Test("per-user limits skip ahead: one busy user does not block others")
    func perUserSkipAhead() {
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(perUser: 2)])
        let decisions = decide(policy, [candidate("a"), candidate("a"), candidate("a"), candidate("b"), candidate("a"), candidate("b")])
        #expect(decisions.map(\.isAdmit) == [true, true, false, true, false, true])
    }

    @Test("already active requests count against the limits")
    func activeCounts() {
        var active = ActiveRequestCounts()
        active.add(collection: "c", username: "a", count: 2)
        active.add(collection: "c", username: "b", count: 1)
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(total: 4, perUser: 2)])
        let decisions = decide(policy, active: active, [candidate("a"), candidate("b"), candidate("c")])
        #expect(decisions.map(\.isAdmit) == [false, true, false])
        guard case .hold(let reason) = decisions[2] else {
            Issue.record("expected hold")
            return
        }
        #expect(reason.contains("collection 'c' has 4 active requests"))
    }

    @Test("the highest per-role limit replaces per-user")
    func perRole() {
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(perUser: 1, perRole: ["admin": 3, "vip": 2])])
        let admins = (0..<4).map { _ in candidate("boss", roles: ["vip", "admin"]) }
        let users = (0..<2).map { _ in candidate("joe") }
        let decisions = decide(policy, admins + users)
        #expect(decisions.map(\.isAdmit) == [true, true, true, false, true, false])
    }

    @Test("limits are per collection")
    func perCollection() {
        let policy = DispatchPlanner.Policy(collections: ["x": CollectionLimits(total: 1), "y": CollectionLimits(total: 1)])
        let decisions = decide(policy, [candidate("a", "x"), candidate("a", "x"), candidate("a", "y")])
        #expect(decisions.map(\.isAdmit) == [true, false, true])
    }

    @Test("the global cap stops the round")
    func globalCap() {
        var active = ActiveRequestCounts()
        active.add(collection: "other", username: "z", count: 1)
        let policy = DispatchPlanner.Policy(maximumActive: 3, collections: ["c": CollectionLimits()])
        let decisions = decide(policy, active: active, [candidate("a"), candidate("b"), candidate("c")])
        #expect(decisions == [.admit, .admit, .stop])
    }

    @Test("a request for a collection that no longer exists is rejected")
    func unknownCollection() {
        let decisions = decide(.init(collections: [:]), [candidate("a", "gone")])
        #expect(decisions == [.reject(message: "The collection 'gone' is no longer configured on this server.")])
    }
}

extension DispatchPlanner.Decision {
    var isAdmit: Bool { self == .admit }
}
