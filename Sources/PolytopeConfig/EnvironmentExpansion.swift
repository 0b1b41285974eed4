import Foundation

/// Replaces `${NAME}` and `${NAME:-fallback}` in a string from an environment; `$${` stays a literal `${`.
struct EnvironmentExpansion {
    let environment: [String: String]

    init(_ environment: [String: String]) {
        self.environment = environment
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// `text` with its references replaced; the names referenced are added to `names`.
    func expand(_ text: String, noting names: inout Set<String>) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex, rest[rest.index(before: start.lowerBound)] == "$" {
                result += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw Failure(description: "unterminated '${' in \"\(text)\"")
            }
            let expression = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let separator = expression.range(of: ":-") {
                name = expression[..<separator.lowerBound]
                fallback = expression[separator.upperBound...]
            } else {
                name = expression
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw Failure(description: "invalid variable name '\(name)' in \"\(text)\"")
            }
            names.insert(String(name))
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw Failure(description: "environment variable \(name) is not set (write ${\(name):-default} to give a default)")
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }
}
