/// A datasource as a collection offers it: who may use it, which requests it takes, and how
/// requests are completed (`defaults`) and overridden (`patch`) before it runs them.
public struct DatasourceRoute: Sendable {
    /// The name shown to users and stored with each request.
    public var name: String
    /// Who may use this datasource, among those who may use the collection.
    public var access: AccessRule
    public var match: [MatchRule]
    /// Values added for keys the request does not give (applied before matching).
    public var defaults: RequestDocument
    /// Values that replace what the request gives (applied after matching).
    public var patch: RequestDocument
    public var datasource: any Datasource

    public init(
        name: String,
        access: AccessRule = .everyone,
        match: [MatchRule] = [],
        defaults: RequestDocument = RequestDocument(),
        patch: RequestDocument = RequestDocument(),
        datasource: any Datasource
    ) {
        self.name = name
        self.access = access
        self.match = match
        self.defaults = defaults
        self.patch = patch
        self.datasource = datasource
    }

    /// The outcome of offering a request to a route.
    public enum Outcome: Sendable {
        /// The route takes the request; `document` is what the datasource will run.
        case accepted(document: RequestDocument)
        /// The route refuses the request, for the reason given.
        case refused(reason: String)
    }

    /// Applies defaults, the role check, match rules, the datasource's own check and the patch.
    public func offer(_ request: DatasourceRequest) -> Outcome {
        if !access.admits(request.user) {
            return .refused(reason: "requires \(access)")
        }
        var document = request.document
        for field in defaults.fields where document[field.key] == nil {
            document[field.key] = field.value
        }
        let violations = match.compactMap { $0.violation(in: document) }
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
