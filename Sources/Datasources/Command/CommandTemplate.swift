import PolytopeCore

/// A configured text (a command argument or an environment value) with placeholders that are
/// filled in for each request: `{request}` (the request file), `{target}` (the output path),
/// `{request-id}`, `{collection}`, `{user}`, `{realm}` and `{attribute:NAME}` (an attribute of
/// the user's account, such as an e-mail address or an archive key).
///
/// Braces that do not hold a placeholder's name (`{}`, `{"a": 1}`) are kept as they are.
package struct CommandTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One value that is known only when a request runs.
    package enum Placeholder: Sendable, Hashable {
        case request, target, requestID, collection, user, realm
        case attribute(String)

        /// The names written between braces.
        package static let names = ["request", "target", "request-id", "collection", "user", "realm", "attribute:NAME"]

        init?(name: String) {
            switch name {
            case "request": self = .request
            case "target": self = .target
            case "request-id": self = .requestID
            case "collection": self = .collection
            case "user": self = .user
            case "realm": self = .realm
            default:
                guard name.hasPrefix("attribute:"), name.count > "attribute:".count else { return nil }
                self = .attribute(String(name.dropFirst("attribute:".count)))
            }
        }
    }

    enum Part: Sendable, Hashable {
        case literal(String)
        case placeholder(Placeholder)
    }

    /// A placeholder-like name that is not a placeholder.
    package struct UnknownPlaceholder: Error, Equatable {
        package var name: String
    }

    let parts: [Part]
    /// The text as configured.
    package let description: String

    /// Reads `text`; throws for `{name}` where `name` looks like a placeholder but is not one
    /// (a likely typing mistake).
    package init(_ text: String) throws(UnknownPlaceholder) {
        description = text
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            let afterOpen = rest.index(after: open)
            guard let close = rest[afterOpen...].firstIndex(of: "}") else {
                rest = rest[open...]
                break
            }
            let name = String(rest[afterOpen..<close])
            if let placeholder = Placeholder(name: name) {
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(.placeholder(placeholder))
            } else if Self.looksLikePlaceholder(name) {
                throw UnknownPlaceholder(name: name)
            } else {
                literal += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
    }

    /// Whether the template uses `placeholder`.
    package func uses(_ placeholder: Placeholder) -> Bool {
        parts.contains(.placeholder(placeholder))
    }

    /// The names of the user attributes the template needs.
    /// Whether the text names who asks (`{user}`, `{realm}`, `{attribute:NAME}`).
    package var namesTheUser: Bool {
        parts.contains {
            switch $0 {
            case .placeholder(.user), .placeholder(.realm), .placeholder(.attribute): true
            default: false
            }
        }
    }

    package var attributes: [String] {
        parts.compactMap {
            if case .placeholder(.attribute(let name)) = $0 { return name }
            return nil
        }
    }

    /// The text for one run. An attribute the user does not have becomes empty (requests of
    /// such users are refused at submission; see `CommandDatasource.rejection(of:)`).
    func render(request: DatasourceRequest, requestFile: String, target: String) -> String {
        parts.map { part -> String in
            switch part {
            case .literal(let text): return text
            case .placeholder(.request): return requestFile
            case .placeholder(.target): return target
            case .placeholder(.requestID): return "\(request.id)"
            case .placeholder(.collection): return request.collection
            case .placeholder(.user): return request.user.username
            case .placeholder(.realm): return request.user.realm
            case .placeholder(.attribute(let name)): return request.user.attributes[name] ?? ""
            }
        }.joined()
    }

    private static func looksLikePlaceholder(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter, first.isASCII else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ":" || $0 == ".") }
    }
}
