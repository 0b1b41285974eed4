import NIOCore
import PolytopeCore

/// Returns the request text exactly as the user sent it, as `application/octet-stream`
/// (the reference server labelled it `text`, which polytope-client rejects).
package struct EchoDatasource: Datasource {
    package init() {}

    package func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        try await output.write(ByteBuffer(string: request.text))
    }
}
