import Foundation
import PolytopeCore

/// Accepts calls from other Polytope servers on behalf of their users (`PolytopePeer`, see
/// `PeerCredential`): the peer must be configured, its secret must match, and the user's
/// realm must be one the peer may speak for. A user of a realm this server manages (`local`,
/// or a configured user's) is taken from this server's directory, with its current roles,
/// and refused when it is not there or disabled; a user of another realm keeps the name,
/// realm, roles and attributes the peer sent. Refusals of a genuine peer's user throw
/// `CredentialRefused` with the reason.
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
    private let directory: any UserDirectory

    package init(peers: [Peer], directory: any UserDirectory = ConfiguredUsers(accounts: [])) {
        self.peers = Dictionary(peers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.directory = directory
    }

    package var name: String { "peer" }
    package var schemes: [String] { [PeerCredential.scheme] }

    package func authenticate(_ credential: Credential) async throws -> User? {
        guard credential.isScheme(PeerCredential.scheme), let presented = PeerCredential(credentialValue: credential.value) else { return nil }
        // Compared even for an unknown peer, so that timing does not tell which peers exist.
        let peer = peers[presented.peer]
        let secretMatches = ConstantTime.equals(Array(presented.secret.utf8), Array((peer?.secret ?? "\u{0}unknown-peer").utf8))
        guard let peer, secretMatches else { return nil }
        // The peer proved who it is: a refusal of its user is not a guess (CredentialRefused,
        // not counted), so that one user the peer may not forward cannot lock out its address.
        let user = presented.user
        guard peer.realms.contains(user.realm) else {
            throw CredentialRefused("The server '\(peer.name)' may not forward users of realm '\(user.realm)' to this one.")
        }
        switch directory.standing(of: user) {
        case .current(let user): return user
        case .unmanaged: return user
        case .removed: throw CredentialRefused("User '\(user.username)' of realm '\(user.realm)' is not known to this server.")
        case .disabled: throw CredentialRefused("User '\(user.username)' of realm '\(user.realm)' is disabled on this server.")
        }
    }
}
