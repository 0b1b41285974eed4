import Foundation
import MarsLanguage
import NIOCore
import PolytopeConfig
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

/// The pure parts of the `http` datasource: URL templates, field selection, index matching,
/// range planning, submit-time checks and configuration.
@Suite("HTTPDatasource planning")
struct HTTPDatasourcePlanningTests {
    func request(_ text: String, verb: Verb = .retrieve) throws -> DatasourceRequest {
        DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: verb, collection: "od", text: text, document: try RequestTextParser().parse(text))
    }

    func template(_ text: String) throws -> URLTemplate {
        try URLTemplate(text, kind: MarsLanguageSettings.standard.kind(of:))
    }

    @Test("a URL template fills keys, formats dates and times, and percent-encodes values")
    func templates() throws {
        let url = try template("http://h/{date}/{time:HH}z/{date:YYYY-MM-DD}/{Param}-{step}h.grib2?v={time:HH:MM}")
        #expect(url.keys == ["date", "time", "param", "step"])
        let expanded = url.expand(["date": "20240131", "time": "1230", "param": "2t", "step": "6"])
        #expect(expanded == "http://h/20240131/12z/2024-01-31/2t-6h.grib2?v=12%3A30")
        #expect(url.expand(["date": "20240131", "time": "0000", "param": "a/../b?x", "step": "0"]).contains("a%2F..%2Fb%3Fx-0h"))
        for bad in ["http://h/{date", "http://h/}x", "http://h/{}", "http://h/{param:HH}", "http://h/{date:xyz}"] {
            #expect(throws: URLTemplate.Problem.self, "\(bad)") { try template(bad) }
        }
    }

    @Test("URLs in messages lose their query and credentials; index URLs keep the query")
    func displayedURLs() {
        #expect(URLTemplate.displayed("https://user:pw@host:8/a/b.grib2?sig=secret#x") == "https://host:8/a/b.grib2")
        #expect(URLTemplate.displayed("http://host/a@b/c") == "http://host/a@b/c")
        #expect(URLTemplate.indexURL(ofDataURL: "http://h/x.y/2024-0h-oper-fc.grib2?sig=1") == "http://h/x.y/2024-0h-oper-fc.index?sig=1")
        #expect(URLTemplate.indexURL(ofDataURL: "http://h/a/file") == "http://h/a/file.index")
    }

    @Test("fields are numbered in request order, the first key slowest, and described by key")
    func selection() {
        let selection = FieldSelection(keys: ["step", "param"], values: [["12", "0"], ["10u", "2t", "msl"]])
        #expect(selection.count == 6)
        #expect(selection.ordinal([1, 2]) == 5)
        #expect(selection.positions(4) == [1, 1])
        #expect(selection.describe(3) == "step=0, param=10u")
        #expect(selection.valuesByKey(1) == ["step": "12", "param": "2t"])
        #expect(selection.missingMessage([0, 5]) == "field(s) not found: step=12, param=10u; step=0, param=msl")
        let many = FieldSelection(keys: ["number"], values: [(1...30).map(String.init)])
        #expect(many.missingMessage(Array(0..<30)).hasSuffix("number=20 (and 10 more)"))
        let huge = FieldSelection(keys: ["a", "b", "c", "d", "e"], values: Array(repeating: (0..<10_000).map(String.init), count: 5))
        #expect(huge.count == Int.max)
    }

    @Test("ranges follow request order, merge adjacent fields of one file, and are cut into parts")
    func rangePlan() {
        let fields: [ByteRangePlan.Field] = [
            .init(ordinal: 3, file: 0, offset: 100, length: 50),
            .init(ordinal: 0, file: 1, offset: 0, length: 100),
            .init(ordinal: 1, file: 1, offset: 100, length: 100),
            .init(ordinal: 2, file: 0, offset: 0, length: 100),
        ]
        let plan = ByteRangePlan(fields: fields, partLength: 120)
        #expect(plan.parts.map(\.file) == [1, 1, 0, 0])
        #expect(plan.parts.map(\.range) == [0..<120, 120..<200, 0..<120, 120..<150])
        #expect(plan.parts[0].ordinals == [0, 1])
        #expect(plan.byteCount == 350)
        // Out of file order: 2t (offset 0) asked after 10u (offset 200) gives two ranges.
        let reversed = ByteRangePlan(
            fields: [.init(ordinal: 0, file: 0, offset: 200, length: 10), .init(ordinal: 1, file: 0, offset: 0, length: 200)], partLength: 1 << 20)
        #expect(reversed.parts.map(\.range) == [200..<210, 0..<200])
    }

    @Test("index lines match on every selected key, compared as normalised values")
    func indexMatching() throws {
        let text = """
            {"domain": "g", "date": "20240101", "time": "0000", "step": "6", "levtype": "sfc", "param": "2t", "_offset": 0, "_length": 179}
            {"domain": "g", "date": "20240101", "time": "0", "step": "6", "levtype": "sfc", "param": "151", "_offset": 179, "_length": 179}

            {"domain": "g", "date": "20240101", "time": "0000", "step": "6", "levtype": "pl", "levelist": 850, "param": "t", "_offset": 358, "_length": 179}
            """
        let index = try OpenDataIndex(parsing: ByteBuffer(string: text), url: "http://h/x.index")
        #expect(index.entries.count == 3)
        #expect(index.entries[2].keys["levelist"] == "850")
        var settings = MarsLanguageSettings.standard
        settings.parameterForm = .shortName
        var canonical = IndexValueCanonicaliser(normaliser: MarsRequestNormaliser(settings: settings), now: Date())
        // date comes from the URL; time, param from the index.
        let selection = FieldSelection(keys: ["date", "time", "param"], values: [["20240101"], ["0000"], ["msl", "2t", "t"]])
        let matched = index.fields(of: selection, urlPositions: [0: 0], canonical: &canonical)
        #expect(matched.map(\.ordinal) == [1, 0, 2])
        #expect(matched.map(\.entry.offset) == [0, 179, 358])
        // A key the request gives that a line lacks (and that is not in the URL) excludes the line.
        let withLevel = FieldSelection(keys: ["param", "levelist"], values: [["t", "2t"], ["850"]])
        #expect(index.fields(of: withLevel, urlPositions: [:], canonical: &canonical).map(\.ordinal) == [0])
        #expect(throws: PolytopeError.self) { try OpenDataIndex(parsing: ByteBuffer(string: "{\"param\": \"2t\"}\n"), url: "http://h/x.index") }
        // Another server's numbers: an offset that overflows with its length, or a field of
        // petabytes (a billion planned parts), is a broken index, not a crash.
        for line in ["{\"_offset\": 9223372036854775000, \"_length\": 1000}", "{\"_offset\": 0, \"_length\": 4000000000000000}"] {
            #expect(throws: PolytopeError.self) { try OpenDataIndex(parsing: ByteBuffer(string: line + "\n"), url: "http://h/x.index") }
        }
    }

    @Test(
        "requests the datasource cannot serve are refused at submission",
        arguments: [
            ("date: 20240101\nparam: 2t", "keys 'time', 'step' are required (this datasource builds its URLs from date, time, step)"),
            ("date: 20240101\ntime: 0\nparam: 2t", "key 'step' is required"),
            ("date: 2024-13-45\ntime: 0\nstep: 0", "date: '2024-13-45' is not a date"),
            (
                "date: 20240101\ntime: 0\nstep: 0/to/240/by/1\nparam: 2t/msl/10u/10v\nnumber: 1/to/50",
                "asks for 48200 fields; this datasource serves at most 10000"
            ),
        ]
    )
    func refusals(_ text: String, _ reason: String) throws {
        var configuration = HTTPDatasource.Configuration(url: "http://h/{date}/{time:HH}z/{step}h.grib2")
        configuration.layout = .openData
        configuration.maxFields = 10_000
        let datasource = try HTTPDatasource(configuration: configuration)
        let refusal = datasource.rejection(of: try request(text))
        #expect(refusal?.contains(reason) == true, "\(String(describing: refusal))")
        #expect(datasource.rejection(of: try request("date: 20240101\ntime: 12\nstep: 6\nparam: 167\ndatasource: http")) == nil)
        #expect(datasource.rejection(of: try request("date: 20240101\ntime: 12\nstep: 6", verb: .archive))?.contains("only retrieves") == true)
    }

    @Test("the type http is built from configuration, and its problems name their keys")
    func configuration() throws {
        func make(_ yaml: String) throws -> ((any Datasource)?, [String]) {
            let reader = ConfigReader(root: try ConfigLoader(environment: [:]).parse(yaml: yaml, file: "test.yaml"))
            _ = reader.string("type")  // read by the catalog in real configurations
            let datasource = DatasourceFactory().make(type: "http", options: reader)
            do {
                try reader.finish()
                return (datasource, [])
            } catch let error as ConfigError {
                return (datasource, error.issues.map(\.description))
            }
        }
        let (good, none) = try make(
            """
            type: http
            url: "https://portal/{date}/{time:HH}z/ifs/0p25/{stream}/{date}{time:HH}0000-{step}h-{stream}-{type}.grib2"
            layout: open-data
            timeout: 10s
            retries: 2
            backoff: 200ms
            max-concurrent: 8
            missing: skip
            headers: {Authorization: "Bearer abc"}
            url-values: {type: {cf: ef, pf: ef}}
            """)
        #expect(none == [])
        let datasource = try #require(good as? HTTPDatasource)
        #expect(datasource.configuration.layout == .openData)
        #expect(datasource.configuration.missing == .skip)
        #expect(datasource.configuration.urlValues == ["type": ["cf": "ef", "pf": "ef"]])
        #expect(datasource.configuration.headers == ["Authorization": "Bearer abc"])
        let prepared = try datasource.prepare(try request("date: 20240101\ntime: 6\nstep: 0\nstream: enfo\ntype: cf/pf"), now: Date()).get()
        #expect(datasource.dataFiles(prepared).map(\.url) == ["https://portal/20240101/06z/ifs/0p25/enfo/20240101060000-0h-enfo-ef.grib2"])

        let (bad, problems) = try make(
            """
            type: http
            url: "ftp://portal/{date:QQ}"
            layout: zip
            retries: many
            headers: {"Bad Name": x}
            """)
        #expect(bad == nil)
        let text = problems.joined(separator: "\n")
        for expected in [
            "url: '{date:QQ}' has none of YYYY, MM, DD", "layout: expected one of plain, open-data", "retries: expected an integer",
            "'Bad Name' is not a valid header name",
        ] {
            #expect(text.contains(expected), "\(text)")
        }
        let (_, missingURL) = try make("type: http\nlayout: plain")
        #expect(missingURL.joined().contains("needs 'url'"))
    }

    @Test("min-speed: a burst then a pause within a window passes, a trickle fails at the window's end, 0 is no floor")
    func speedFloor() {
        let start = ContinuousClock.now
        var burst = SpeedFloor(minimum: 1000, window: .seconds(10))
        let burstAdmitted = [burst.admits(5, at: start), burst.admits(20_000, at: start + .seconds(9)), burst.admits(5, at: start + .seconds(12))]
        #expect(burstAdmitted == [true, true, true], "20,010 bytes in 12 s: above 1,000/s")
        var trickle = SpeedFloor(minimum: 1000, window: .seconds(10))
        let trickleAdmitted = (0...10).map { trickle.admits(900, at: start + .seconds($0)) }
        #expect(trickleAdmitted == Array(repeating: true, count: 10) + [false], "9,900 bytes in 10 s: below 1,000/s")
        var none = SpeedFloor(minimum: 0, window: .seconds(1))
        let noneAdmitted = [none.admits(1, at: start), none.admits(1, at: start + .seconds(3600))]
        #expect(noneAdmitted == [true, true])
    }
}
