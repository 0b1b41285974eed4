import PolytopeCore

/// Always fails with a configured message; used to test how failures reach users.
public struct RaiseDatasource: Datasource {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    public func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    public func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        throw PolytopeError(.invalidRequest, message)
    }
}
