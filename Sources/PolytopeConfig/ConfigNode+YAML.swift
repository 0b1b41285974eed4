import Foundation
import Yams

extension ConfigNode {
    /// The tree as YAML text, with the text values of secret-looking keys (`key`, and any
    /// naming a password, secret or token, such as `password-hash`) replaced by `********`, and
    /// so is every value under `headers` and `environment` (a datasource's `Authorization`
    /// header or `MARS_USER_TOKEN`) and every password inside a URL
    /// (`postgres://user:pw@host` → `postgres://user:********@host`), for `polytope config check`.
    package func yamlText(maskingSecrets: Bool = true) throws -> String {
        try Yams.serialize(node: yamlNode(masking: false, maskingSecrets: maskingSecrets), sortKeys: false)
    }

    private static let secretKeys: Set<String> = ["key", "access-key"]
    private static let secretWords = ["password", "secret", "token"]
    /// Keys whose whole value is masked: what they hold is often a credential.
    private static let secretSections: Set<String> = ["headers", "environment"]

    private static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return secretKeys.contains(key) || secretWords.contains { key.contains($0) }
    }

    /// `scheme://user:password@host...` with the password masked; other text unchanged.
    package static func maskingURLPassword(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://") else { return text }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { "/?#".contains($0) }) ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"), let colon = rest[..<at].firstIndex(of: ":") else { return text }
        return String(text[..<rest.index(after: colon)]) + "********" + String(text[at...])
    }

    private func yamlNode(masking: Bool, maskingSecrets: Bool) -> Node {
        switch value {
        case .null:
            return Node("null", .implicit)
        case .scalar(let text, let kind):
            if masking { return Node("********", Tag(.str), .singleQuoted) }
            switch kind {
            case .string: return Node(maskingSecrets ? Self.maskingURLPassword(text) : text, Tag(.str))
            case .integer, .float, .boolean: return Node(text)
            }
        case .sequence(let items):
            return Node(items.map { $0.yamlNode(masking: masking, maskingSecrets: maskingSecrets) })
        case .mapping(let entries):
            return Node(
                entries.map { entry in
                    var secret = maskingSecrets && Self.isSecret(entry.key)
                    if case .scalar = entry.value.value {} else { secret = false }
                    if maskingSecrets && Self.secretSections.contains(entry.key.lowercased()) { secret = true }
                    return (Node(entry.key), entry.value.yamlNode(masking: masking || secret, maskingSecrets: maskingSecrets))
                }
            )
        }
    }
}
