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

    /// `issues` in file order: files as they first appear, then by line and column (issues
    /// without a location last, in the order found).
    package init(issues: [ConfigIssue]) {
        var fileRanks: [String: Int] = [:]
        for file in issues.compactMap(\.location?.file) where fileRanks[file] == nil { fileRanks[file] = fileRanks.count }
        self.issues = issues.enumerated().sorted { a, b in
            func key(_ issue: (offset: Int, element: ConfigIssue)) -> (Int, Int, Int, Int) {
                guard let location = issue.element.location else { return (Int.max, 0, 0, issue.offset) }
                return (fileRanks[location.file] ?? Int.max, location.line, location.column, issue.offset)
            }
            return key(a) < key(b)
        }.map(\.element)
    }

    package init(_ message: String, location: ConfigLocation? = nil, path: String = "") {
        self.issues = [ConfigIssue(location: location, path: path, message: message)]
    }

    package var description: String {
        let noun = issues.count == 1 ? "problem" : "problems"
        return "configuration has \(issues.count) \(noun):\n" + issues.map { "  " + $0.description }.joined(separator: "\n")
    }
}
