import Foundation

/// A datasource as a collection offers it: who may use it, which requests it takes, and how
/// requests are completed (`defaults`) and overridden (`patch`) before it runs them.
package struct DatasourceRoute: Sendable {
    /// The name shown to users and stored with each request.
    package var name: String
    /// Who may use this datasource, among those who may use the collection.
    package var access: AccessRule
    package var match: [MatchRule]
    /// Conditions beyond lists of values (date windows), checked with `match`.
    package var checks: [ValueCheck]
    /// Values added for keys the request does not give (applied before matching).
    package var defaults: RequestDocument
    /// Values that replace what the request gives (applied after matching).
    package var patch: RequestDocument
    package var datasource: any Datasource

    package init(
        name: String,
        access: AccessRule = .everyone,
        match: [MatchRule] = [],
        checks: [ValueCheck] = [],
        defaults: RequestDocument = RequestDocument(),
        patch: RequestDocument = RequestDocument(),
        datasource: any Datasource
    ) {
        self.name = name
        self.access = access
        self.match = match
        self.checks = checks
        self.defaults = defaults
        self.patch = patch
        self.datasource = datasource
    }

    /// The outcome of offering a request to a route.
    package enum Outcome: Sendable {
        /// The route takes the request; `document` is what the datasource will run.
        case accepted(document: RequestDocument)
        /// The route refuses the request, for the reason given.
        case refused(reason: String)
    }

    /// Checks, in this order: the role, for an archive request whether the datasource archives,
    /// then applies the defaults, the match rules and checks, the patch, and last the
    /// datasource's own check on the patched request. With a `language`, the defaults and the
    /// patch are normalised like the request (at `now`: a default `date: -1` means the day
    /// before the request).
    package func offer(_ request: DatasourceRequest, now: Date = Date(), language: (any RequestLanguage)? = nil) -> Outcome {
        if !access.admits(request.user) {
            return .refused(reason: "requires \(access)")
        }
        if request.verb == .archive && !(datasource is any ArchivingDatasource) {
            return .refused(reason: "does not archive data")
        }
        var defaults = self.defaults
        var patch = self.patch
        if let language {
            do {
                defaults = try language.normalise(defaults, verb: request.verb, now: now)
                patch = try language.normalise(patch, verb: request.verb, now: now)
            } catch {
                return .refused(reason: "its configured defaults or patch are invalid (\(error)); please tell the operator")
            }
        }
        var document = request.document
        for field in defaults.fields where document[field.key] == nil {
            document[field.key] = field.value
        }
        let violations = match.compactMap { $0.violation(in: document) } + checks.compactMap { $0.violation(in: document, now: now) }
        guard violations.isEmpty else {
            return .refused(reason: violations.joined(separator: "; "))
        }
        for field in patch.fields {
            document[field.key] = field.value
        }
        var completed = request
        completed.document = document
        if let reason = datasource.rejection(of: completed) {
            return .refused(reason: reason)
        }
        return .accepted(document: document)
    }
}
