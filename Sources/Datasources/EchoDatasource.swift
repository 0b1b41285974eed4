import NIOCore
import PolytopeCore

/// Returns the request text exactly as the user sent it, as `application/octet-stream`
/// (the reference server labelled it `text`, which polytope-client rejects).
public struct EchoDatasource: Datasource {
    public init() {}

    public func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    public func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        try await output.write(ByteBuffer(string: request.text))
    }
}
