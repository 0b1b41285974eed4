/// A backend could not write because its disk is full: not the caller's fault, and over
/// once space is freed. Backends report it as the `cause` of a `PolytopeError` with code
/// `unavailable` (HTTP 503 with `Retry-After`), so that readiness checks can name it.
package struct DiskFull: Error, Sendable, CustomStringConvertible {
    /// What is on the full disk (`the request store`).
    package var what: String
    /// The file or directory that could not be written.
    package var path: String

    package init(what: String, path: String) {
        self.what = what
        self.path = path
    }

    package var description: String { "\(what)'s disk is full (\(path))" }

    /// The error users get: 503, retry later.
    package var polytopeError: PolytopeError {
        var error = PolytopeError(.unavailable, "The \(what)'s disk is full; please retry later.", cause: self)
        error.retryAfter = Self.retryAfterSeconds
        return error
    }

    /// How long clients are asked to wait before trying again.
    package static let retryAfterSeconds = 30
}
