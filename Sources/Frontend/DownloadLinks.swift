import Crypto
import Foundation
import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// Capability URLs for downloads: `/api/v1/downloads/<id>?expires=<unix time>&signature=<HMAC>`
/// lets whoever holds the URL download that one result until it expires, without an
/// `Authorization` header (earthkit-data and cdsapi download pointers that way).
///
/// The signature is an HMAC-SHA256, with the server's secret, over the request id and the
/// expiry; a revoked or deleted request has no result, so its links die with it. Expiries are
/// rounded up to a whole `granularity`, so the URL a client sees stays the same across polls.
package struct DownloadLinkSigner: Sendable {
    let key: SymmetricKey
    /// How long a link is valid at least.
    package let lifetime: Duration
    /// Expiries are multiples of this many seconds.
    static let granularity: Int64 = 3600

    /// - Parameter secret: at least 32 bytes of entropy; the same on every frontend of a deployment.
    package init(secret: [UInt8], lifetime: Duration) {
        self.key = SymmetricKey(data: secret)
        self.lifetime = lifetime
    }

    /// The query (`expires=...&signature=...`) of a link to `id`'s result, made at `now`.
    package func query(for id: String, now: Date) -> String {
        let earliest = Int64(now.timeIntervalSince1970.rounded(.up)) + lifetime.components.seconds
        let expires = (earliest + Self.granularity - 1) / Self.granularity * Self.granularity
        return "expires=\(expires)&signature=\(signature(id: id, expires: expires))"
    }

    /// Whether `signature` grants `id` at `now`.
    package func verify(id: String, expires: Int64, signature: String, now: Date) -> Bool {
        guard Double(expires) > now.timeIntervalSince1970, signature.utf8.count == 43 else { return false }
        return ConstantTime.equals(Array(signature.utf8), Array(self.signature(id: id, expires: expires).utf8))
    }

    private func signature(id: String, expires: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("polytope-download\n\(id)\n\(expires)".utf8), using: key)
        return Base64URL.encode(mac)
    }
}

/// Guards `/api/v1/downloads/<id>`: a request carrying `expires` and `signature` that grant
/// its id goes through without credentials (`context.grantedDownload`); anything else is
/// authenticated as usual, so polytope-client, which sends its credentials along, works with
/// or without a link.
struct DownloadAccessMiddleware: RouterMiddleware {
    typealias Context = PolytopeRequestContext
    let authentication: AuthenticationMiddleware
    let signer: DownloadLinkSigner?
    let wallClock: any WallClock

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let signer, let id = request.uri.path.split(separator: "/").last.map(String.init),
            let expires = request.uri.queryParameters.get("expires"), let signature = request.uri.queryParameters.get("signature")
        else {
            return try await authentication.handle(request, context: context, next: next)
        }
        guard let expires = Int64(expires), signer.verify(id: id, expires: expires, signature: String(signature), now: wallClock.now()) else {
            if request.headers[.authorization] != nil { return try await authentication.handle(request, context: context, next: next) }
            throw PolytopeError(.forbidden, "This download link is not valid, or has expired; poll the request again for a fresh one.")
        }
        var context = context
        context.grantedDownload = id
        return try await next(request, context)
    }
}
