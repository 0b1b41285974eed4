import Foundation
import PolytopeCore

/// Settings of the frontend role.
package struct FrontendConfiguration: Sendable {
    /// The largest request body accepted for submissions (small JSON documents).
    package var maximumBodySize: Int
    /// The largest upload accepted for the archive verb.
    package var maximumUploadSize: Int64
    /// URL prefixes (`https://data.example.int/incoming/`) that archive requests may name as
    /// their data's `url`, for a worker to fetch; empty: only uploads.
    package var archiveSources: [String] = []
    /// The externally visible base URL (`https://polytope.example.int`) used in `Location`
    /// headers; nil to derive it from the request's `Host` header.
    package var publicURL: String?
    /// Seconds suggested to clients between polls.
    package var retryAfterSeconds: Int
    /// Bounds of every submitted request (keys, values, nesting), whatever its form.
    package var requestLimits = RequestLimits()
    /// Signs download URLs so that they work without credentials; nil: downloads always need them.
    package var downloadLinks: DownloadLinkSigner?
    /// The longest a poll may be held with `?wait=` or `Prefer: wait=` (`server.max-poll-wait`,
    /// at most 60 s); zero turns long polls off.
    package var maximumPollWait: Duration = .seconds(60)
    /// The broker's cap on active requests (`broker.max-active`), to explain waits it causes.
    package var maximumActive: Int?
    /// The path prefix of the CDS / OGC API - Processes front (`server.processes-prefix`,
    /// `api` → `/api/retrieve/v1/...`), without slashes; nil turns the front off.
    package var processesPrefix: String? = "api"
    /// Whether the web page (`/` and `/ui/...`) is served (`server.web-page`).
    package var webPage = true
    /// How long a web page session lasts (`server.web-session-lifetime`).
    package var webSessionLifetime: Duration = .seconds(12 * 3600)
    /// Roles that see the system view of the web page (`telemetry.admin-roles`).
    package var adminRoles = ["admin"]
    /// The path prefix of the OGC API - EDR front (`server.edr-prefix`, `edr` →
    /// `/edr/collections/...`), without slashes; nil turns the front off.
    package var edrPrefix: String? = "edr"
    /// How long an EDR query waits for its answer before it is answered 202 with the request
    /// to poll (`server.edr-wait`, at most 60 s; zero: always 202).
    package var edrWait: Duration = .seconds(30)

    package init(maximumBodySize: Int = 1 << 20, maximumUploadSize: Int64 = 10 << 30, publicURL: String? = nil, retryAfterSeconds: Int = 1) {
        self.maximumBodySize = maximumBodySize
        self.maximumUploadSize = maximumUploadSize
        self.publicURL = publicURL
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Whether a worker may fetch archive data from `url`: it starts with an allowed prefix,
    /// and what the source's server reads after decoding it stays below that prefix (no dot
    /// segments, encoded separators or control characters, plain or percent-encoded once or
    /// twice).
    package func allowsArchiveSource(_ url: String) -> Bool {
        guard archiveSources.contains(where: { url.hasPrefix($0) }), let decoded = url.removingPercentEncoding?.lowercased() else {
            return false
        }
        let escapes = ["..", "\\", "%2e", "%2f", "%5c", "%00"]
        return !escapes.contains(where: decoded.contains) && !decoded.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }
}
