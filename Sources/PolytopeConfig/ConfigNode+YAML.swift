import Yams

extension ConfigNode {
    /// The tree as YAML text, with the text values of secret-looking keys (`password`,
    /// `secret`, `key`, `token`) replaced by `********`, for `polytope config check`.
    public func yamlText(maskingSecrets: Bool = true) throws -> String {
        try Yams.serialize(node: yamlNode(masking: false, maskingSecrets: maskingSecrets), sortKeys: false)
    }

    private static let secretKeys: Set<String> = ["password", "secret", "key", "token", "secret-key", "access-key"]

    private func yamlNode(masking: Bool, maskingSecrets: Bool) -> Node {
        switch value {
        case .null:
            return Node("null", .implicit)
        case .scalar(let text, let kind):
            if masking { return Node("********", Tag(.str), .singleQuoted) }
            switch kind {
            case .string: return Node(text, Tag(.str))
            case .integer, .float, .boolean: return Node(text)
            }
        case .sequence(let items):
            return Node(items.map { $0.yamlNode(masking: masking, maskingSecrets: maskingSecrets) })
        case .mapping(let entries):
            return Node(
                entries.map { entry in
                    var secret = maskingSecrets && Self.secretKeys.contains(entry.key.lowercased())
                    if case .scalar = entry.value.value {} else { secret = false }
                    return (Node(entry.key), entry.value.yamlNode(masking: masking || secret, maskingSecrets: maskingSecrets))
                }
            )
        }
    }
}
