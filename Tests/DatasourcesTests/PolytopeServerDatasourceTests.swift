import Testing

@testable import Datasources

@Suite("Federation: where the forwarded request is polled")
struct PolytopeServerDatasourceTests {
    @Test("the request is polled on the configured server, whatever host its Location names")
    func pollURL() {
        let base = "http://10.0.0.2:8080"
        let id = "01a24ee0-dcca-710e-ad5d-50e53fc2c5d2"
        for location in [
            "/api/v1/requests/\(id)", "http://10.0.0.2:8080/api/v1/requests/\(id)", "http://attacker.example:9/api/v1/requests/\(id)?x=1",
            "https://polytope.example.int/prefix/api/v1/requests/\(id)",
        ] {
            #expect(PolytopeServerDatasource.requestURL(location, base: base) == "\(base)/api/v1/requests/\(id)", "\(location)")
        }
        for location in ["http://attacker.example/collect", "/api/v1/requests/", "/api/v1/requests/a%2F..%2Fb"] {
            #expect(PolytopeServerDatasource.requestURL(location, base: base) == nil, "\(location)")
        }
    }
}
