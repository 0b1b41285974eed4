import NIOCore
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Datasource matching")
struct MatchingTests {
    struct AcceptAll: Datasource {
        var refusal: String?
        func rejection(of request: DatasourceRequest) -> String? { refusal }
        func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }
        func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {}
    }

    func request(_ text: String, user: User = Fixtures.alice) throws -> DatasourceRequest {
        DatasourceRequest(
            id: RequestIdentifier(), user: user, verb: .retrieve, collection: "c", text: text, document: try RequestTextParser().parse(text))
    }

    @Test(
        "match rules: present, subset of the allowed values, case-insensitive",
        arguments: [
            ("class: od", nil),
            ("class: OD", nil),
            ("class: od/rd", nil),
            ("class: xx", "class=xx is not allowed (allowed: od/rd)"),
            ("class: od/xx/yy", "class=xx/yy are not allowed (allowed: od/rd)"),
            ("other: 1", "key 'class' is required (allowed: od/rd)"),
        ] as [(String, String?)]
    )
    func matchRule(_ text: String, _ violation: String?) throws {
        let rule = MatchRule(key: "class", allowed: ["od", "rd"])
        #expect(rule.violation(in: try request(text).document) == violation)
    }

    @Test("an empty rule means the key must be absent")
    func absentRule() throws {
        let rule = MatchRule(key: "feature", allowed: [])
        #expect(rule.violation(in: try request("class: od").document) == nil)
        #expect(rule.violation(in: try request("feature: x").document) == "key 'feature' must not be given")
    }

    @Test("defaults fill in before matching, patches override after")
    func defaultsAndPatch() throws {
        let route = DatasourceRoute(
            name: "dummy",
            match: [MatchRule(key: "datasource", allowed: ["dummy"])],
            defaults: RequestDocument(fields: [.init(key: "datasource", value: .list(["dummy"]))]),
            patch: RequestDocument(fields: [.init(key: "expver", value: .list(["0001"]))]),
            datasource: AcceptAll()
        )
        guard case .accepted(let document) = route.offer(try request("size: 10\nexpver: 9999")) else {
            Issue.record("should be accepted")
            return
        }
        #expect(document["datasource"] == .list(["dummy"]))
        #expect(document["expver"] == .list(["0001"]))
        guard case .refused(let reason) = route.offer(try request("datasource: echo")) else {
            Issue.record("should be refused")
            return
        }
        #expect(reason == "datasource=echo is not allowed (allowed: dummy)")
    }

    @Test("the first accepting datasource wins; refusals list every datasource and why")
    func selection() throws {
        let collection = CollectionDefinition(
            name: "debug",
            routes: [
                DatasourceRoute(name: "admins", access: .roles(["admin"]), datasource: AcceptAll()),
                DatasourceRoute(name: "picky", datasource: AcceptAll(refusal: "size must be small")),
                DatasourceRoute(name: "echo", match: [MatchRule(key: "datasource", allowed: ["echo"])], datasource: AcceptAll()),
            ]
        )
        #expect(try collection.select(request("datasource: echo")).route.name == "echo")
        #expect(try collection.select(request("datasource: echo", user: Fixtures.bob)).route.name == "admins")
        #expect {
            try collection.select(request("datasource: other"))
        } throws: { error in
            (error as? PolytopeError)?.message == """
                No datasource of collection 'debug' accepts this request:
                - admins: requires one of the roles admin
                - picky: size must be small
                - echo: datasource=other is not allowed (allowed: echo)
                """
        }
    }

    @Test("access rules: by role, by realm, or everyone")
    func accessRules() {
        let ecmwf = User(username: "a", realm: "ecmwf", roles: ["default"])
        let desp = User(username: "b", realm: "desp", roles: ["default", "member"])
        #expect(AccessRule.everyone.admits(ecmwf))
        #expect(AccessRule.roles(["member"]).admits(desp) && !AccessRule.roles(["member"]).admits(ecmwf))
        let perRealm = AccessRule.realms(["ecmwf": ["default"], "desp": ["member"]])
        #expect(perRealm.admits(ecmwf) && perRealm.admits(desp))
        #expect(!perRealm.admits(User(username: "c", realm: "other", roles: ["default", "member"])), "an unlisted realm is refused")
        #expect(perRealm.description == "one of the roles member (realm desp) or default (realm ecmwf)")
    }

    @Test("collection access and per-role limits")
    func collectionRolesAndLimits() {
        let open = CollectionDefinition(name: "open", routes: [])
        let restricted = CollectionDefinition(name: "r", access: .roles(["admin"]), routes: [])
        #expect(open.admits(Fixtures.alice))
        #expect(!restricted.admits(Fixtures.alice))
        #expect(restricted.admits(Fixtures.bob))
        let limits = CollectionLimits(total: 10, perUser: 2, perRole: ["admin": 5, "vip": 8, "zero": 0])
        #expect(limits.userLimit(roles: ["default"]) == 2)
        #expect(limits.userLimit(roles: ["admin", "vip"]) == 8)
        #expect(limits.userLimit(roles: ["zero"]) == 2)
    }
}
