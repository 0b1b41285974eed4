import Foundation

/// A collection: a named set of datasources that users submit requests to.
package struct CollectionDefinition: Sendable {
    package var name: String
    /// Who may see and use the collection.
    package var access: AccessRule
    package var limits: CollectionLimits
    /// Datasources in the order they are tried; the first that accepts a request wins.
    package var routes: [DatasourceRoute]
    /// The language requests are normalised in before matching; nil keeps them as sent.
    package var language: (any RequestLanguage)?
    /// How old a staged result of an identical retrieval may be to answer a new one instead
    /// of running it again; nil: every request runs.
    package var reuseResults: Duration?

    package init(
        name: String, access: AccessRule = .everyone, limits: CollectionLimits = CollectionLimits(), routes: [DatasourceRoute],
        language: (any RequestLanguage)? = nil, reuseResults: Duration? = nil
    ) {
        self.reuseResults = reuseResults
        self.name = name
        self.access = access
        self.limits = limits
        self.routes = routes
        self.language = language
    }

    /// Whether `user` may see and use the collection.
    package func admits(_ user: User) -> Bool {
        access.admits(user)
    }

    /// The datasource chosen for a request.
    package struct Selection: Sendable {
        package var route: DatasourceRoute
        package var document: RequestDocument
    }

    /// Normalises `request` in the collection's language, then picks the first datasource
    /// that accepts it, among those `considered` (a front that only extracts features asks
    /// only those datasources, and names only their reasons).
    /// - Throws: `PolytopeError.invalidRequest` naming every problem of the request, or each
    ///   datasource and why it refused.
    package func select(
        _ request: DatasourceRequest, now: Date = Date(), considering considered: (DatasourceRoute) -> Bool = { _ in true }
    ) throws -> Selection {
        var request = request
        if let language {
            request.document = try language.normalise(request.document, verb: request.verb, now: now)
        }
        var reasons: [String] = []
        for route in routes where considered(route) {
            switch route.offer(request, now: now, language: language) {
            case .accepted(let document):
                return Selection(route: route, document: document)
            case .refused(let reason):
                reasons.append("- \(route.name): \(reason)")
            }
        }
        throw PolytopeError.invalidRequest(
            "No datasource of collection '\(name)' accepts this request:\n" + reasons.joined(separator: "\n")
        )
    }

    /// The route with the given name.
    package func route(named name: String) -> DatasourceRoute? {
        routes.first { $0.name == name }
    }
}

/// Quality-of-service settings of one collection: limits counted over its active (queued and
/// processing) requests, how waiting requests are ordered, and how many may wait.
package struct CollectionLimits: Sendable, Hashable {
    /// Most active requests in the collection; nil for no limit.
    package var total: Int?
    /// Most active requests of one user in the collection; nil for no limit.
    package var perUser: Int?
    /// Per-role allowance; a user gets the highest among their roles, which replaces `perUser`.
    package var perRole: [String: Int]
    /// Most waiting (not yet active) requests of one user; beyond it submissions answer 429.
    package var maximumWaitingPerUser: Int?
    /// The order of waiting requests; nil for the broker's default (`broker.policy`).
    package var policy: QueuePolicy?
    /// Per-role priority: a request of a user whose roles have a higher priority is
    /// dispatched before those of lower ones (0 when no role has one). Limits still apply.
    package var priorities: [String: Int]

    package init(
        total: Int? = nil, perUser: Int? = nil, perRole: [String: Int] = [:], maximumWaitingPerUser: Int? = nil, policy: QueuePolicy? = nil,
        priorities: [String: Int] = [:]
    ) {
        self.total = total
        self.perUser = perUser
        self.perRole = perRole
        self.maximumWaitingPerUser = maximumWaitingPerUser
        self.policy = policy
        self.priorities = priorities
    }

    /// The most active requests `roles` may have in the collection; nil for no limit.
    package func userLimit(roles: [String]) -> Int? {
        let roleLimits = roles.compactMap { perRole[$0] }
        if let highest = roleLimits.max(), highest > 0 { return highest }
        return perUser
    }

    /// The highest limit any user may have (nil: some users have none).
    package var highestUserLimit: Int? {
        guard let perUser else { return nil }
        return max(perUser, perRole.values.max() ?? 0)
    }

    /// The priority of a request of a user with `roles`.
    package func priority(roles: [String]) -> Int {
        roles.compactMap { priorities[$0] }.max() ?? 0
    }
}

/// How the waiting requests of a collection are ordered for dispatch.
package enum QueuePolicy: String, Sendable, Hashable, CaseIterable {
    /// First come, first served: in arrival order.
    case fifo
    /// Users take turns: a user with fewer active and earlier-queued requests goes first, so
    /// one user's backlog delays another user's request by at most one slot. Each user's own
    /// requests keep their arrival order.
    case fairShare = "fair-share"
}
