import Foundation
import Yams

/// Reads configuration files into one merged `ConfigNode` tree.
///
/// Files are deep-merged in the order given (see `ConfigNode.merged(with:)`), then `${NAME}` and
/// `${NAME:-default}` in string values are replaced from the environment. Every problem is
/// reported with its file, line and key path.
package struct ConfigLoader: Sendable {
    /// Variables used for `${NAME}` expansion.
    package var environment: [String: String]

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads, merges and expands the given files.
    /// - Throws: `ConfigError` listing every file that cannot be read or parsed and every
    ///   variable that cannot be expanded.
    package func load(files: [String]) throws -> ConfigNode {
        try loadNotingVariables(files: files).root
    }

    /// Loads, merges and expands the given files, and names the environment variables that
    /// `${NAME}` references in them (set or not).
    package func loadNotingVariables(files: [String]) throws -> (root: ConfigNode, variables: Set<String>) {
        var merged = ConfigNode.emptyMapping
        var issues: [ConfigIssue] = []
        for file in files {
            do {
                guard let data = FileManager.default.contents(atPath: file) else {
                    let reason = FileManager.default.fileExists(atPath: file) ? "cannot be read" : "does not exist"
                    throw ConfigError("configuration file \(reason)", path: "", file: file)
                }
                guard let text = String(data: data, encoding: .utf8) else {
                    throw ConfigError("configuration file is not valid UTF-8", path: "", file: file)
                }
                let node = try parse(yaml: text, file: file)
                merged = merged.merged(with: node)
            } catch let error as ConfigError {
                issues += error.issues
            }
        }
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        var variables: Set<String> = []
        return (try expandEnvironment(in: merged, noting: &variables), variables)
    }

    /// Parses one YAML document. An empty document is an empty mapping.
    package func parse(yaml text: String, file: String) throws -> ConfigNode {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError.yaml(error, file: file)
        } catch {
            throw ConfigError("cannot parse YAML: \(error)", path: "", file: file)
        }
        guard let root else { return .emptyMapping }
        var budget = 200_000
        let node = try ConfigNode(yaml: root, file: file, budget: &budget)
        guard case .mapping = node.value else {
            throw ConfigError("the top level must be a mapping, found \(node.typeDescription)", location: node.location)
        }
        return node
    }

    private func expandEnvironment(in root: ConfigNode, noting variables: inout Set<String>) throws -> ConfigNode {
        var issues: [ConfigIssue] = []
        let expanded = expand(root, path: "", variables: &variables, issues: &issues)
        if !issues.isEmpty { throw ConfigError(issues: issues) }
        return expanded
    }

    private func expand(_ node: ConfigNode, path: String, variables: inout Set<String>, issues: inout [ConfigIssue]) -> ConfigNode {
        switch node.value {
        case .null:
            return node
        case .scalar(let text, let kind):
            guard kind == .string, text.contains("${") else { return node }
            do {
                return ConfigNode(.scalar(try EnvironmentExpansion(environment).expand(text, noting: &variables), .string), location: node.location)
            } catch {
                issues.append(ConfigIssue(location: node.location, path: path, message: "\(error)"))
                return node
            }
        case .sequence(let items):
            let expanded = items.enumerated().map { expand($1, path: "\(path)[\($0)]", variables: &variables, issues: &issues) }
            return ConfigNode(.sequence(expanded), location: node.location)
        case .mapping(let entries):
            let expanded = entries.map { entry in
                ConfigNode.Entry(
                    key: entry.key, value: expand(entry.value, path: ConfigPath.join(path, entry.key), variables: &variables, issues: &issues))
            }
            return ConfigNode(.mapping(expanded), location: node.location)
        }
    }
}

extension ConfigError {
    init(_ message: String, path: String, file: String) {
        self.init(issues: [ConfigIssue(location: ConfigLocation(file: file, line: 1, column: 1), path: path, message: message)])
    }

    /// Turns a Yams error into an issue that names the file, line and column and quotes the line.
    static func yaml(_ error: YamlError, file: String) -> ConfigError {
        func issue(_ kind: String, _ context: YamlError.Context?, _ problem: String, _ mark: Mark, _ yaml: String) -> ConfigError {
            let contextText = context.map { "\($0.text) " } ?? ""
            let snippet = mark.snippet(from: yaml).trimmingCharacters(in: .newlines)
            return ConfigError(
                issues: [
                    ConfigIssue(
                        location: ConfigLocation(file: file, line: mark.line, column: mark.column),
                        path: "",
                        message: "invalid YAML (\(kind)): \(contextText)\(problem)\n\(snippet)"
                    )
                ]
            )
        }
        switch error {
        case .scanner(let context, let problem, let mark, let yaml): return issue("scanner", context, problem, mark, yaml)
        case .parser(let context, let problem, let mark, let yaml): return issue("parser", context, problem, mark, yaml)
        case .composer(let context, let problem, let mark, let yaml): return issue("composer", context, problem, mark, yaml)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let location = ConfigLocation(file: file, line: context.mark.line, column: context.mark.column)
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigError("duplicate key \(keys) in the same mapping", location: location)
        default:
            return ConfigError("invalid YAML: \(error)", path: "", file: file)
        }
    }
}

extension ConfigNode {
    /// Converts a Yams node, spending one unit of `budget` per node so that alias
    /// expansion ("billion laughs") cannot run away.
    init(yaml node: Node, file: String, budget: inout Int) throws {
        budget -= 1
        guard budget >= 0 else {
            throw ConfigError("the document expands to too many values (aliases nested too deeply?)", path: "", file: file)
        }
        let location = node.mark.map { ConfigLocation(file: file, line: $0.line, column: $0.column) }
        switch node {
        case .scalar(let scalar):
            let kind: ScalarKind
            switch scalar.style {
            case .singleQuoted, .doubleQuoted, .literal, .folded:
                kind = .string
            default:
                if node.null != nil {
                    self.init(.null, location: location)
                    return
                } else if node.bool != nil {
                    kind = .boolean
                } else if node.int != nil {
                    kind = .integer
                } else if node.float != nil {
                    kind = .float
                } else {
                    kind = .string
                }
            }
            self.init(.scalar(scalar.string, kind), location: location)
        case .sequence(let sequence):
            var items: [ConfigNode] = []
            for item in sequence {
                items.append(try ConfigNode(yaml: item, file: file, budget: &budget))
            }
            self.init(.sequence(items), location: location)
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                guard let keyText = key.scalar?.string else {
                    let keyLocation = key.mark.map { ConfigLocation(file: file, line: $0.line, column: $0.column) }
                    throw ConfigError(issues: [ConfigIssue(location: keyLocation, path: "", message: "mapping keys must be plain text")])
                }
                entries.append(Entry(key: keyText, value: try ConfigNode(yaml: value, file: file, budget: &budget)))
            }
            self.init(.mapping(entries), location: location)
        case .alias:
            throw ConfigError("unresolved YAML alias", path: "", file: file)
        }
    }
}

/// Key-path formatting shared by the loader and the reader: `a.b[2].c`.
enum ConfigPath {
    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
