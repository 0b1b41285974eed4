import Foundation
import PolytopeCore

/// Accepts calls from other Polytope servers on behalf of their users (`PolytopePeer`, see
/// `PeerCredential`): the peer must be configured, its secret must match, and the user's
/// realm must be one the peer may speak for. The user keeps the name, realm, roles and
/// attributes the peer sent.
public struct PeerAuthenticator: Authenticator {
    /// A server allowed to call this one.
    public struct Peer: Sendable, Hashable {
        public var name: String
        public var secret: String
        /// Realms whose users the peer may forward.
        public var realms: [String]

        public init(name: String, secret: String, realms: [String]) {
            self.name = name
            self.secret = secret
            self.realms = realms
        }
    }

    private let peers: [String: Peer]

    public init(peers: [Peer]) {
        self.peers = Dictionary(peers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var name: String { "peer" }
    public var schemes: [String] { [PeerCredential.scheme] }

    public func authenticate(_ credential: Credential) async throws -> User? {
        guard credential.isScheme(PeerCredential.scheme), let presented = PeerCredential(credentialValue: credential.value) else { return nil }
        // Compared even for an unknown peer, so that timing does not tell which peers exist.
        let peer = peers[presented.peer]
        let secretMatches = ConstantTime.equals(Array(presented.secret.utf8), Array((peer?.secret ?? "\u{0}unknown-peer").utf8))
        guard let peer, secretMatches, peer.realms.contains(presented.user.realm) else { return nil }
        return presented.user
    }
}
