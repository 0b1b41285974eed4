/// One problem found in a configuration: where, under which key path, and what is wrong.
package struct ConfigIssue: Sendable, Hashable, CustomStringConvertible {
    package var location: ConfigLocation?
    package var path: String
    package var message: String

    package init(location: ConfigLocation?, path: String, message: String) {
        self.location = location
        self.path = path
        self.message = message
    }

    /// `polytope.yaml:12:5: collections.debug.limits.per-user: expected an integer, found "four"`.
    package var description: String {
        var text = ""
        if let location { text += "\(location): " }
        if !path.isEmpty { text += "\(path): " }
        return text + message
    }
}

/// The configuration could not be used; `issues` lists every problem found, in file order.
package struct ConfigError: Error, Sendable, CustomStringConvertible {
    package var issues: [ConfigIssue]

    package init(issues: [ConfigIssue]) {
        self.issues = issues
    }

    package init(_ message: String, location: ConfigLocation? = nil, path: String = "") {
        self.issues = [ConfigIssue(location: location, path: path, message: message)]
    }

    package var description: String {
        let noun = issues.count == 1 ? "problem" : "problems"
        return "configuration has \(issues.count) \(noun):\n" + issues.map { "  " + $0.description }.joined(separator: "\n")
    }
}
