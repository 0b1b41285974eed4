import PolytopeConfig
import PolytopeCore

/// Reads the `collections` (and shared `datasources`) sections into a `CollectionCatalog`.
///
/// ```yaml
/// datasources:             # optional: definitions shared by several collections
///   big-dummy: {type: dummy, max-size: 100G}
/// collections:
///   debug:
///     roles: [default]     # optional; omitted = every authenticated user; or {realm: [roles]}
///     limits: {total: 20, per-user: 4, per-role: {admin: 10}, max-waiting-per-user: 1000}
///     policy: fair-share   # optional: the order of waiting requests (default broker.policy)
///     priority: {ops: 10}  # optional: requests of these roles are dispatched first
///     language: mars       # optional: normalise requests as MARS does before matching
///     reuse-results: 10m   # optional: answer an identical retrieval from a result this young
///     datasources:
///       - {name: echo, type: echo, match: {datasource: echo}}
///       - big-dummy        # a shared definition, by name
///       - {name: big-dummy, match: {datasource: dummy}}   # a shared definition with overrides
/// ```
package struct CollectionCatalogReader {
    package var factory: DatasourceFactory

    package init(factory: DatasourceFactory = DatasourceFactory()) {
        self.factory = factory
    }

    /// Problems are reported through the readers; collections that cannot be built are left out.
    package func read(collections: ConfigReader?, sharedDatasources: ConfigReader?) -> CollectionCatalog {
        var shared: [String: ConfigNode] = [:]
        for (name, definition) in sharedDatasources?.entries() ?? [] {
            guard case .mapping = definition.node.value else {
                definition.report("expected a mapping with at least 'type'")
                continue
            }
            shared[name] = definition.node
            _ = route(named: name, from: definition)
        }
        guard let collections else { return CollectionCatalog([]) }
        var definitions: [CollectionDefinition] = []
        for (name, section) in collections.entries() {
            guard case .mapping = section.node.value else {
                section.report("expected a mapping with 'datasources'")
                continue
            }
            if let collection = collection(named: name, from: section, shared: shared) {
                definitions.append(collection)
            }
        }
        return CollectionCatalog(definitions)
    }

    private func collection(named name: String, from section: ConfigReader, shared: [String: ConfigNode]) -> CollectionDefinition? {
        if name == "all" || RequestIdentifier(name) != nil {
            section.report("'\(name)' cannot be a collection name: it would be read as a request id in /api/v1/requests/\(name)")
        } else if !Self.isValidName(name) {
            section.report("collection names may use letters, digits, '-', '_' and '.' only (at most 128)")
        }
        let access = accessRule(section)
        var limits = CollectionLimits()
        if let limitsSection = section.section("limits") {
            limits.total = limitsSection.int("total", range: 1...Int.max)
            limits.perUser = limitsSection.int("per-user", range: 1...Int.max)
            for (role, value) in limitsSection.section("per-role")?.entries() ?? [] {
                if let count = value.scalarText.flatMap({ Int($0) }), count >= 1 {
                    limits.perRole[role] = count
                } else {
                    value.report("expected a number of requests of at least 1, found \(value.node.typeDescription)")
                }
            }
            limits.maximumWaitingPerUser = limitsSection.int("max-waiting-per-user", range: 1...Int.max)
        }
        if section.node["policy"] != nil {
            limits.policy = section.choice("policy", ["fifo": QueuePolicy.fifo, "fair-share": .fairShare], default: .fifo)
        }
        for (role, value) in section.section("priority")?.entries() ?? [] {
            if let priority = value.scalarText.flatMap({ Int($0) }) {
                limits.priorities[role] = priority
            } else {
                value.report("expected a whole number (higher is dispatched first), found \(value.node.typeDescription)")
            }
        }
        guard let entries = section.list("datasources"), !entries.isEmpty else {
            section.report("a collection needs at least one datasource under 'datasources'")
            return nil
        }
        let language = MarsRequestLanguage.read(section)
        var routes: [DatasourceRoute] = []
        for entry in entries {
            guard let route = route(from: entry, shared: shared, language: language) else { continue }
            if routes.contains(where: { $0.name == route.name }) {
                entry.report("datasource name '\(route.name)' is used twice in this collection")
            }
            routes.append(route)
        }
        var reuseResults: Duration?
        if section.contains("reuse-results"), section.string("reuse-results")?.lowercased() != "off" {
            reuseResults = section.duration("reuse-results", default: .zero, minimum: .seconds(1))
        }
        return CollectionDefinition(
            name: name, access: access, limits: limits, routes: routes, language: language, reuseResults: reuseResults)
    }

    private func route(from entry: ConfigReader, shared: [String: ConfigNode], language: MarsRequestLanguage?) -> DatasourceRoute? {
        switch entry.node.value {
        case .scalar(let name, _):
            guard let definition = shared[name] else {
                entry.report("no shared datasource named '\(name)' under 'datasources'")
                return nil
            }
            // Read in this collection's context (its request language), so its problems are reported here.
            return route(named: name, from: entry.reader(for: definition), language: language)
        case .mapping:
            let name = entry.string("name") ?? entry.node["type"].flatMap { ConfigReader.strings(of: $0, splitOnSlash: false)?.first }
            guard let name else {
                entry.report("a datasource needs a 'name' or a 'type'")
                return nil
            }
            if entry.node["type"] == nil, let definition = shared[name] {
                let merged = definition.merged(with: entry.node)
                return route(named: name, from: entry.reader(for: merged), language: language)
            }
            return route(named: name, from: entry, language: language)
        default:
            entry.report("expected a datasource mapping or the name of a shared datasource, found \(entry.node.typeDescription)")
            return nil
        }
    }

    /// Builds a route from a full definition (`type`, its options, and routing keys); with a
    /// `language`, match rules are read in it.
    private func route(named name: String, from definition: ConfigReader, language: MarsRequestLanguage? = nil) -> DatasourceRoute? {
        _ = definition.string("name")
        guard let type = definition.string("type") else {
            definition.report("a datasource needs a 'type' (\(factory.types.joined(separator: ", ")))")
            return nil
        }
        var match: [MatchRule] = []
        var checks: [ValueCheck] = []
        for (key, value) in definition.section("match")?.entries() ?? [] {
            if let language {
                let condition = language.matchCondition(key: key, entry: value)
                if let rule = condition.rule { match.append(rule) }
                if let check = condition.check { checks.append(check) }
                continue
            }
            guard let allowed = ConfigReader.strings(of: value.node, splitOnSlash: true) else {
                value.report("expected a value, a list of values or 'a/b/c', found \(value.node.typeDescription)")
                continue
            }
            match.append(MatchRule(key: key, allowed: allowed))
        }
        let defaults = document(definition.section("defaults"))
        let patch = document(definition.section("patch"))
        let access = accessRule(definition)
        guard let datasource = factory.make(type: type, options: definition) else { return nil }
        return DatasourceRoute(name: name, access: access, match: match, checks: checks, defaults: defaults, patch: patch, datasource: datasource)
    }

    /// `roles: [a, b]`, `roles: a`, or `roles: {realm: [a, b]}`; absent means everyone.
    private func accessRule(_ section: ConfigReader) -> AccessRule {
        guard let node = section.value("roles") else { return .everyone }
        if case .mapping = node.value, let realms = section.section("roles") {
            var rules: [String: [String]] = [:]
            for (realm, roles) in realms.entries() {
                guard let list = ConfigReader.strings(of: roles.node, splitOnSlash: false), !list.isEmpty else {
                    roles.report("expected a list of roles for realm '\(realm)'")
                    continue
                }
                rules[realm] = list
            }
            return .realms(rules)
        }
        guard let roles = ConfigReader.strings(of: node, splitOnSlash: false) else {
            section.report("expected a list of roles, or a mapping of realm to roles", key: "roles")
            return .everyone
        }
        return .roles(roles)
    }

    private func document(_ section: ConfigReader?) -> RequestDocument {
        var document = RequestDocument()
        for (key, value) in section?.entries() ?? [] {
            guard let words = ConfigReader.strings(of: value.node, splitOnSlash: true) else {
                value.report("expected a value or a list of values, found \(value.node.typeDescription)")
                continue
            }
            document[key] = .list(words)
        }
        return document
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
    }
}
