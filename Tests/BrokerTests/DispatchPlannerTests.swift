import Broker
import PolytopeCore
import Testing

@Suite("Dispatch planner")
struct DispatchPlannerTests {
    func candidate(_ user: String, _ collection: String = "c", roles: [String] = ["default"], at sequence: Int64 = 0) -> DispatchCandidate {
        DispatchCandidate(id: RequestIdentifier(), cursor: DispatchCursor(sequence: sequence), username: user, roles: roles, collection: collection)
    }

    /// The users of `candidates` in the planner's order.
    func order(_ policy: DispatchPlanner.Policy, active: ActiveRequestCounts = ActiveRequestCounts(), _ candidates: [DispatchCandidate])
        -> [String]
    {
        DispatchPlanner(policy: policy, active: active).order(candidates).map { "\($0.username)\($0.cursor.sequence)" }
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

extension DispatchPlannerTests {
    @Test("a user's quota is what the tightest limit leaves, never below zero")
    func quotas() {
        var active = ActiveRequestCounts()
        active.add(collection: "c", username: "a", count: 2)
        let policy = DispatchPlanner.Policy(
            maximumActive: 10, collections: ["c": CollectionLimits(total: 5, perUser: 2, perRole: ["vip": 4]), "free": CollectionLimits()])
        let planner = DispatchPlanner(policy: policy, active: active)
        #expect(planner.quota(for: .init(collection: "c", username: "a"), cap: 100) == 2, "the highest role limit bounds it")
        #expect(planner.quota(for: .init(collection: "c", username: "b"), cap: 100) == 3, "the collection's room")
        #expect(planner.quota(for: .init(collection: "free", username: "b"), cap: 100) == 8, "the global room")
        #expect(planner.quota(for: .init(collection: "free", username: "b"), cap: 5) == 5, "the cap")
        #expect(planner.quota(for: .init(collection: "gone", username: "b"), cap: 5) == 5, "all of a removed collection, to reject")
        var full = ActiveRequestCounts()
        full.add(collection: "c", username: "a", count: 4)
        #expect(DispatchPlanner(policy: policy, active: full).quota(for: .init(collection: "c", username: "a"), cap: 100) == 0)
    }

    @Test("fifo keeps arrival order across users and collections")
    func fifoOrder() {
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(), "d": CollectionLimits()])
        let candidates = [candidate("b", at: 3), candidate("a", at: 1), candidate("a", "d", at: 2), candidate("a", at: 4)]
        #expect(order(policy, candidates) == ["a1", "a2", "b3", "a4"])
    }

    @Test("fair share: users take turns, fewest active first, each user's requests in arrival order")
    func fairShareOrder() {
        var active = ActiveRequestCounts()
        active.add(collection: "c", username: "a", count: 1)
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(policy: .fairShare)])
        let candidates = [1, 2, 3, 4].map { candidate("a", at: $0) } + [candidate("b", at: 9), candidate("c", at: 10), candidate("c", at: 11)]
        #expect(order(policy, active: active, candidates) == ["b9", "c10", "a1", "c11", "a2", "a3", "a4"])
    }

    @Test("fair share applies within its collection; other collections keep their places")
    func fairShareInPlace() {
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(), "f": CollectionLimits(policy: .fairShare)])
        let candidates = [candidate("a", "f", at: 1), candidate("a", "f", at: 2), candidate("x", at: 3), candidate("b", "f", at: 4)]
        #expect(order(policy, candidates) == ["a1", "b4", "x3", "a2"])
        let byDefault = DispatchPlanner.Policy(collections: ["f": CollectionLimits()], defaultQueuePolicy: .fairShare)
        #expect(order(byDefault, [candidate("a", "f", at: 1), candidate("a", "f", at: 2), candidate("b", "f", at: 3)]) == ["a1", "b3", "a2"])
    }

    @Test("a role's priority goes first within its collection, then the policy's order")
    func priorities() {
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(priorities: ["ops": 10, "vip": 5])])
        let candidates = [
            candidate("a", at: 1), candidate("v", roles: ["vip"], at: 2), candidate("o", roles: ["default", "ops"], at: 3),
            candidate("v", roles: ["vip"], at: 4),
        ]
        #expect(order(policy, candidates) == ["o3", "v2", "v4", "a1"])
    }

    @Test("a backlog of one user delays another's single request by at most one slot under fair share")
    func backlogDoesNotStarve() {
        var active = ActiveRequestCounts()
        active.add(collection: "c", username: "a", count: 3)
        let policy = DispatchPlanner.Policy(collections: ["c": CollectionLimits(total: 4, policy: .fairShare)])
        var planner = DispatchPlanner(policy: policy, active: active)
        let backlog = (1...2000).map { candidate("a", at: Int64($0)) }
        let ordered = planner.order(backlog + [candidate("b", at: 5000)])
        #expect(ordered.first?.username == "b")
        #expect(ordered.map { planner.consider($0) }.prefix(2).map(\.isAdmit) == [true, false])
    }
}

extension DispatchPlanner.Decision {
    var isAdmit: Bool { self == .admit }
}
