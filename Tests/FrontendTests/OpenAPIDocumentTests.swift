import Frontend
import Hummingbird
import HummingbirdTesting
import PolytopeServer
import Testing
import Yams

@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    @Test("every route of the server is described, and nothing else")
    func coversEveryRoute() async throws {
        let document = try #require(try Yams.load(yaml: OpenAPIDocument.yaml) as? [String: Any])
        #expect(document["openapi"] as? String == "3.0.3")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let described = Set(
            paths.flatMap { path, operations in
                operations.keys.filter { $0 != "parameters" }.map { "\($0.uppercased()) \(path)" }
            }
        )
        let router = try await TestServer().server.makeRouter()
        let served = Set(router.routes.map { "\($0.method) \($0.path)" })
        #expect(served.subtracting(described).isEmpty, "routes missing from openapi.yaml: \(served.subtracting(described).sorted())")
        #expect(described.subtracting(served).isEmpty, "documented routes that do not exist: \(described.subtracting(served).sorted())")
    }

    @Test("the document is served without credentials")
    func served() async throws {
        try await TestServer().test { client in
            let response = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/yaml")
            #expect(String(buffer: response.body) == OpenAPIDocument.yaml)
        }
    }
}
