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
        guard !host.isEmpty, host.count <= 255, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-:[]_".contains($0)) }) else {
            return ""
        }
        return "http://\(host)"
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
