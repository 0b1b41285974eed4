import PolytopeCore

/// Always fails with a configured message; used to test how failures reach users.
package struct RaiseDatasource: Datasource {
    package var message: String

    package init(message: String) {
        self.message = message
    }

    package func contentType(for request: DatasourceRequest) -> String { "application/octet-stream" }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        throw PolytopeError(.invalidRequest, message)
    }
}
