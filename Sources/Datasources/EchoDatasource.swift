import NIOCore
import PolytopeCore

/// Returns the request text exactly as the user sent it, as `application/octet-stream`
/// (the reference server labelled it `text`, which polytope-client rejects).
package struct EchoDatasource: Datasource {
    package init() {}

    package func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    /// The result is the text as written (comments and all), which an identical normalised
    /// request of another user need not share.
    package var resultsServeIdenticalRequests: Bool { false }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        try await output.write(ByteBuffer(string: request.text))
    }
}
