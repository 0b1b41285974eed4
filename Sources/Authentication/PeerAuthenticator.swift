import Foundation
import PolytopeCore

/// Accepts calls from other Polytope servers on behalf of their users (`PolytopePeer`, see
/// `PeerCredential`): the peer must be configured, its secret must match, and the user's
/// realm must be one the peer may speak for. The user keeps the name, realm, roles and
/// attributes the peer sent.
package struct PeerAuthenticator: Authenticator {
    /// A server allowed to call this one.
    package struct Peer: Sendable, Hashable {
        package var name: String
        package var secret: String
        /// Realms whose users the peer may forward.
        package var realms: [String]

        package init(name: String, secret: String, realms: [String]) {
            self.name = name
            self.secret = secret
            self.realms = realms
        }
    }

    private let peers: [String: Peer]

    package init(peers: [Peer]) {
        self.peers = Dictionary(peers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    package var name: String { "peer" }
    package var schemes: [String] { [PeerCredential.scheme] }

    package func authenticate(_ credential: Credential) async throws -> User? {
        guard credential.isScheme(PeerCredential.scheme), let presented = PeerCredential(credentialValue: credential.value) else { return nil }
        // Compared even for an unknown peer, so that timing does not tell which peers exist.
        let peer = peers[presented.peer]
        let secretMatches = ConstantTime.equals(Array(presented.secret.utf8), Array((peer?.secret ?? "\u{0}unknown-peer").utf8))
        guard let peer, secretMatches, peer.realms.contains(presented.user.realm) else { return nil }
        return presented.user
    }
}
