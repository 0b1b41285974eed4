import NIOCore

/// Reads the data of an archive request that names a `url` instead of uploading it (a URL
/// the frontend checked against `server.archive-sources`).
///
/// Implementation: over the process's outgoing HTTP client (OutboundHTTP), which follows no
/// redirects, so the data comes from the host the operator allowed.
package protocol ArchiveSourceReader: Sendable {
    /// Hands the body of `url` to `consume` chunk by chunk; throws `invalidRequest` (the
    /// request fails with that message) when it cannot be fetched or exceeds `maximumSize`.
    func read(_ url: String, maximumSize: Int64, into consume: (ByteBuffer) async throws -> Void) async throws
}
