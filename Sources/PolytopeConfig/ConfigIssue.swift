/// One problem found in a configuration: where, under which key path, and what is wrong.
public struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    public var location: ConfigLocation?
    public var path: String
    public var message: String

    public init(location: ConfigLocation?, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// `polytope.yaml:12:5: collections.debug.limits.per-user: expected an integer, found "four"`.
    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        if !path.isEmpty { text += "\(path): " }
        return text + message
    }
}

/// The configuration could not be used; `issues` lists every problem found, in file order.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var issues: [ConfigIssue]

    public init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    public init(_ message: String, location: ConfigLocation? = nil, path: String = "") {
        self.issues = [ConfigIssue(location: location, path: path, message: message)]
    }

    public var description: String {
        let noun = issues.count == 1 ? "problem" : "problems"
        return "configuration has \(issues.count) \(noun):\n" + issues.map { "  " + $0.description }.joined(separator: "\n")
    }
}
