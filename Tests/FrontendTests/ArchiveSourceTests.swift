import Frontend
import Testing

@Suite("server.archive-sources")
struct ArchiveSourceTests {
    @Test("a URL below an allowed prefix is allowed; one that a server's decoding would take above it is not")
    func escapes() {
        var configuration = FrontendConfiguration()
        configuration.archiveSources = ["http://data.example.int/in/"]
        for url in ["http://data.example.int/in/a.grib", "http://data.example.int/in/sub/b%20c.grib", "http://data.example.int/in/x.grib?v=1"] {
            #expect(configuration.allowsArchiveSource(url), "\(url)")
        }
        for url in [
            "http://data.example.int/other/a.grib", "http://data.example.int/in/../secret.grib", "http://data.example.int/in/%2e%2e/secret.grib",
            "http://data.example.int/in/%2E%2E/secret.grib", "http://data.example.int/in/%252e%252e/secret.grib",
            "http://data.example.int/in/.%2e/secret.grib", "http://data.example.int/in/..%2fsecret.grib", "http://data.example.int/in/..%5csecret",
            "http://data.example.int/in/a\\..\\b", "http://data.example.int/in/%zz", "http://data.example.int/in/a%00.grib",
            "http://data.example.int/in/a%0d%0aHost: x",
        ] {
            #expect(!configuration.allowsArchiveSource(url), "\(url)")
        }
    }
}
