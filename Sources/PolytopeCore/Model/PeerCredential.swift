import Foundation

/// How one Polytope server calls another on behalf of one of its users (federation).
///
/// `Authorization: PolytopePeer <peer>:<secret>:<identity>`, where `peer` names the calling
/// server, `secret` is the secret the two servers share, and `identity` is the user (name,
/// realm, roles, attributes) as base64url-encoded JSON. The receiving server accepts it only
/// from a configured peer and for the realms it allows that peer.
package struct PeerCredential: Sendable, Hashable {
    package static let scheme = "PolytopePeer"

    package var peer: String
    package var secret: String
    package var user: User

    package init(peer: String, secret: String, user: User) {
        self.peer = peer
        self.secret = secret
        self.user = user
    }

    /// Whether `text` can be a peer name or secret: no separators, no spaces.
    package static func isValidToken(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != ":" && $0 != "," }
    }

    /// The value of the `Authorization` header.
    package var headerValue: String {
        let json = (try? JSONEncoder().encode(user)) ?? Data()
        let identity = Base64URL.encode(json)
        return "\(Self.scheme) \(peer):\(secret):\(identity)"
    }

    /// Reads the value of a `PolytopePeer` credential; nil when it is malformed.
    package init?(credentialValue value: String) {
        let parts = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].count <= 16_384 else { return nil }
        var base64 = parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let json = Data(base64Encoded: base64), let user = try? JSONDecoder().decode(User.self, from: json),
            !user.username.isEmpty
        else { return nil }
        self.init(peer: String(parts[0]), secret: String(parts[1]), user: user)
    }
}
