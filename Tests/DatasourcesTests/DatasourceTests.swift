import Datasources
import NIOCore
import PolytopeConfig
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Built-in datasources")
struct DatasourceTests {
    func request(_ text: String) throws -> DatasourceRequest {
        DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "debug", text: text,
            document: try RequestTextParser().parse(text))
    }

    @Test("echo returns the request text byte for byte, as octet-stream")
    func echo() async throws {
        let text = "datasource: echo\nparam: 2t/msl   # comment kept\n"
        let sink = CollectingSink()
        try await EchoDatasource().retrieve(try request(text), into: sink)
        #expect(sink.text == text)
        #expect(EchoDatasource().contentType(for: try request(text)) == "application/octet-stream")
    }

    @Test("dummy returns exactly N bytes in bounded chunks, from `size` or a bare integer")
    func dummy() async throws {
        let dummy = DummyDatasource(maximumSize: 10 << 20)
        for (text, size) in [("size: 0", 0), ("size: 5", 5), ("3145729", 3_145_729), ("datasource: dummy\nsize: 2097152", 2_097_152)] {
            let sink = CollectingSink()
            #expect(dummy.rejection(of: try request(text)) == nil)
            try await dummy.retrieve(try request(text), into: sink)
            #expect(sink.byteCount == size)
            #expect(sink.buffers.allSatisfy { $0.readableBytes <= 1 << 20 })
        }
        #expect(dummy.contentType(for: try request("size: 1")) == "application/x-grib")
    }

    @Test(
        "dummy refuses what it cannot produce, at submit time",
        arguments: [
            ("datasource: dummy", "key 'size' is required"),
            ("size: abc", "size=abc is not a number of bytes"),
            ("size: -1", "size=-1 is not a number of bytes"),
            ("size: [1, 2]", "size=1/2 must be a single number of bytes"),
            ("size: 20971521", "larger than the maximum of 10485760 bytes"),
        ]
    )
    func dummyRefusals(_ text: String, _ reason: String) throws {
        let refusal = DummyDatasource(maximumSize: 10 << 20).rejection(of: try request(text))
        #expect(refusal?.contains(reason) == true, "\(String(describing: refusal))")
    }

    @Test("raise fails with its configured message, shown to the user")
    func raise() async throws {
        await #expect {
            try await RaiseDatasource(message: "broken on purpose").retrieve(try request("a: 1"), into: CollectingSink())
        } throws: { error in
            (error as? any UserFacingError)?.userMessage == "broken on purpose"
        }
    }
}

@Suite("Collections from configuration")
struct CollectionCatalogReaderTests {
    func catalog(_ yaml: String) throws -> (CollectionCatalog, [String]) {
        try readCatalog(yaml)
    }

    @Test("a full collection: roles, limits, inline and shared datasources with overrides")
    func fullCollection() throws {
        let (catalog, problems) = try catalog(
            """
            datasources:
              big: {type: dummy, max-size: 1G}
              plain: {type: echo}
            collections:
              debug:
                roles: [default]
                limits: {total: 20, per-user: 4, per-role: {admin: 10}}
                datasources:
                  - {name: echo, type: echo, match: {datasource: echo, class: od/rd}}
                  - {name: big, match: {datasource: [big, huge]}, defaults: {size: 10}}
                  - plain
            """
        )
        #expect(problems.isEmpty, "\(problems)")
        let debug = try #require(catalog["debug"])
        #expect(debug.access == .roles(["default"]))
        #expect(debug.limits == CollectionLimits(total: 20, perUser: 4, perRole: ["admin": 10]))
        #expect(debug.routes.map(\.name) == ["echo", "big", "plain"])
        #expect(debug.routes[0].match == [MatchRule(key: "datasource", allowed: ["echo"]), MatchRule(key: "class", allowed: ["od", "rd"])])
        #expect(debug.routes[1].match == [MatchRule(key: "datasource", allowed: ["big", "huge"])])
        #expect(debug.routes[1].defaults["size"] == .list(["10"]))
        #expect(debug.routes[1].datasource is DummyDatasource)
    }

    @Test("mistakes are reported with their key paths")
    func mistakes() throws {
        let (_, problems) = try catalog(
            """
            collections:
              a:
                datasources:
                  - {name: x, type: teleport}
                  - {name: y}
                  - missing
                  - {name: z, type: echo, match: {k: {nested: 1}}, colour: blue}
              b: {limits: {total: many}}
              all: {datasources: [{type: echo}]}
            """
        )
        #expect(problems.contains { $0.contains("collections.a.datasources[0].type: unknown datasource type 'teleport'") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.a.datasources[1]: a datasource needs a 'type'") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.a.datasources[2]: no shared datasource named 'missing'") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.a.datasources[3].match.k: expected a value") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.a.datasources[3].colour: unknown key 'colour'") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.b.limits.total: expected an integer") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.b: a collection needs at least one datasource") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.all: 'all' cannot be a collection name") }, "\(problems)")
    }
}

@Suite("Dummy throughput limit")
struct DummyRateTests {
    @Test("a rate-limited dummy takes about size/rate seconds")
    func rate() async throws {
        let dummy = DummyDatasource(maximumSize: 1 << 20, bytesPerSecond: 400_000)
        let request = DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "c", text: "size: 100000",
            document: try RequestTextParser().parse("size: 100000")
        )
        let sink = CollectingSink()
        let elapsed = try await ContinuousClock().measure { try await dummy.retrieve(request, into: sink) }
        #expect(sink.byteCount == 100_000)
        #expect(sink.buffers.allSatisfy { $0.readableBytes <= 40_000 })
        #expect(elapsed >= .milliseconds(240), "\(elapsed)")
    }
}
