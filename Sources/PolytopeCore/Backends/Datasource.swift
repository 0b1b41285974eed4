import Foundation
import NIOCore

/// Somewhere to write a result to, chunk by chunk. Writes apply back-pressure: a slow
/// destination slows the producer down instead of growing memory.
package protocol ByteSink {
    func write(_ buffer: ByteBuffer) async throws
}

/// What a datasource is asked to run.
package struct DatasourceRequest: Sendable {
    package var id: RequestIdentifier
    package var user: User
    package var verb: Verb
    package var collection: String
    /// The request exactly as sent.
    package var text: String
    /// The request after parsing, defaults and patches.
    package var document: RequestDocument
    /// Adds a line to the message the user sees with the request (for example which fields
    /// were left out); nil where nobody listens (submit-time checks, tests).
    package var tellUser: (@Sendable (String) async -> Void)? = nil

    package init(id: RequestIdentifier, user: User, verb: Verb, collection: String, text: String, document: RequestDocument) {
        self.id = id
        self.user = user
        self.verb = verb
        self.collection = collection
        self.text = text
        self.document = document
    }
}

/// A source of data: given a request, it streams the result into a sink.
///
/// Datasources check requests at submit time (`rejection(of:)`), so that a request no
/// datasource can serve is refused with 400 before it is queued.
package protocol Datasource: Sendable {
    /// Why this datasource cannot serve `request`, or nil if it can.
    func rejection(of request: DatasourceRequest) -> String?

    /// The exact media type of the result (`application/x-grib`, `application/octet-stream`, ...).
    func contentType(for request: DatasourceRequest) -> String

    /// Streams the result into `output`.
    /// - Throws: an error conforming to `UserFacingError` when the user should see why it failed.
    func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws

    /// Whether a result depends only on the normalised request, so that it may answer another
    /// user's identical request (a collection's `reuse-results`). Not when it depends on who
    /// asks (credentials, a remote server's own checks) or on the request's text as written.
    var resultsServeIdenticalRequests: Bool { get }
}

extension Datasource {
    package func rejection(of request: DatasourceRequest) -> String? { nil }
    package var resultsServeIdenticalRequests: Bool { true }
}

/// A datasource that also stores data users send (the `archive` verb): the worker hands it
/// the uploaded bytes, in a local file, with the archive request (the data's metadata).
package protocol ArchivingDatasource: Datasource {
    /// Archives the data in `file` after checking it against `request`'s metadata. `file` is
    /// only read: it may be the staged upload itself, which must stay as it is.
    /// - Returns: a message for the user (what was archived).
    /// - Throws: an error conforming to `UserFacingError` when the user should see why it failed.
    func archive(_ request: DatasourceRequest, file: URL) async throws -> String
}
