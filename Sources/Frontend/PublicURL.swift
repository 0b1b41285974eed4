import Foundation
import Hummingbird
import PolytopeCore

/// Absolute URLs for `Location` headers: from the configured public URL, or from the
/// request's `Host` (which polytope-client always sends) when none is configured. Download
/// URLs are signed capability links when a `DownloadLinkSigner` is configured.
struct PublicURL: Sendable {
    let configured: String?
    var signer: DownloadLinkSigner? = nil
    var wallClock: any WallClock = SystemWallClock()

    func base(for request: Request) -> String {
        if let configured { return configured }
        let host = request.head.authority ?? "localhost"
        guard !host.isEmpty, host.utf8.count <= 255, host.utf8.allSatisfy(Self.isHostByte) else {
            return ""
        }
        return "http://\(host)"
    }

    /// An ASCII letter or digit, or one of `.-:[]_`: what a `Host` may hold here.
    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2E, 0x2D, 0x3A, 0x5B, 0x5D, 0x5F: return true
        default: return false
        }
    }

    func request(_ id: some CustomStringConvertible, for request: Request) -> String {
        base(for: request) + "/api/v1/requests/\(id)"
    }

    func download(_ id: some CustomStringConvertible, for request: Request) -> String {
        let url = base(for: request) + "/api/v1/downloads/\(id)"
        guard let signer else { return url }
        return url + "?" + signer.query(for: id.description, now: wallClock.now())
    }

    func upload(_ id: some CustomStringConvertible, for request: Request) -> String {
        base(for: request) + "/api/v1/uploads/\(id)"
    }
}
