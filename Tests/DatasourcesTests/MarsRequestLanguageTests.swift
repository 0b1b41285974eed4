import Datasources
import Foundation
import PolytopeConfig
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Collections in the MARS request language")
struct MarsRequestLanguageTests {
    /// 2025-03-10 12:00 UTC.
    let now = Date(timeIntervalSince1970: 1_741_608_000)

    func catalog(_ yaml: String) throws -> (CollectionCatalog, [String]) {
        try readCatalog(yaml)
    }

    func request(_ text: String) throws -> DatasourceRequest {
        DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "od", text: text,
            document: try RequestTextParser().parse(text))
    }

    let config = """
        collections:
          od:
            language: mars
            datasources:
              - name: recent
                type: echo
                match: {class: od, param: [2t, msl], date: "<30d", grid: []}
                defaults: {time: 0, date: -1}
              - name: archive
                type: echo
                match: {class: od, date: ">30d"}
        """

    @Test("requests are normalised before matching; match values are read the same way")
    func normalisedBeforeMatching() throws {
        let (catalog, problems) = try catalog(config)
        #expect(problems.isEmpty, "\(problems)")
        let od = try #require(catalog["od"])
        #expect(od.routes[0].match.first { $0.key == "param" }?.allowed == ["167", "151"])
        let selection = try od.select(request("retrieve, CLASS=OD, param=167/MSL, date=-2/to/-1, step=0/to/12/by/6"), now: now)
        #expect(selection.route.name == "recent")
        #expect(selection.document["param"] == .list(["167", "151"]))
        #expect(selection.document["date"] == .list(["20250308", "20250309"]))
        #expect(selection.document["step"] == .list(["0", "6", "12"]))
        #expect(selection.document["class"] == .list(["od"]))
        #expect(selection.document["time"] == .list(["0000"]), "a default is normalised too")
        // `grid: []` in a match: the key must be absent.
        do {
            _ = try od.select(request("class=od, param=2t, date=-1, grid=1"), now: now)
            Issue.record("a request with grid was accepted")
        } catch let error as PolytopeError {
            #expect(error.message.contains("recent: key 'grid' must not be given"), "\(error.message)")
        }
    }

    @Test("a default relative date is taken on the day of the request")
    func relativeDefault() throws {
        let (catalog, _) = try catalog(config)
        let selection = try #require(catalog["od"]).select(request("class=od, param=2t"), now: now)
        #expect(selection.document["date"] == .list(["20250309"]))
    }

    @Test("date rules send old dates to another datasource, and refuse what none serves")
    func dateRules() throws {
        let (catalog, _) = try catalog(config)
        let od = try #require(catalog["od"])
        #expect(try od.select(request("class=od, param=2t, date=20240101"), now: now).route.name == "archive")
        do {
            _ = try od.select(request("class=od, param=2t, date=20240101/to/20250309"), now: now)
            Issue.record("a range spanning both windows was accepted")
        } catch let error as PolytopeError {
            #expect(error.code == .invalidRequest)
            #expect(error.message.contains("recent: date:"), "\(error.message)")
            #expect(error.message.contains("archive: date:"), "\(error.message)")
        }
    }

    @Test("every problem of a request is reported at once, naming key and value")
    func problemsTogether() throws {
        let (catalog, _) = try catalog(config)
        do {
            _ = try #require(catalog["od"]).select(request("class=od, date=2024-13-01, time=25, param=nosuchparam, step=6x"), now: now)
            Issue.record("a request with four mistakes was accepted")
        } catch let error as PolytopeError {
            #expect(error.code == .invalidRequest)
            for fragment in ["date: '2024-13-01'", "time: '25'", "param: 'nosuchparam'", "step: '6x'"] {
                #expect(error.message.contains(fragment), "\(fragment) missing from: \(error.message)")
            }
        }
    }

    @Test("language settings and mistakes in them")
    func settings() throws {
        let (catalog, problems) = try catalog(
            """
            collections:
              a:
                language: {type: mars, allow-all: [number], max-values: 10, param-names: short-name, kinds: {fcmonth: integer}}
                datasources: [{type: echo}]
              b:
                language: sql
                datasources: [{type: echo}]
              c:
                language: mars
                datasources: [{type: echo, match: {date: "<30x", param: [2t, unknownthing]}}]
              d:
                language: mars
                datasources: [restricted]
            datasources:
              restricted: {type: echo, match: {param: [2t, nosuchparam]}}
            """
        )
        // A shared datasource is read in the context of each collection that names it.
        #expect(problems.contains { $0.contains("collections.d.datasources[0].match.param:") && $0.contains("nosuchparam") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.b.language: the only request language is 'mars'") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.c.datasources[0].match.date:") }, "\(problems)")
        #expect(problems.contains { $0.contains("collections.c.datasources[0].match.param:") && $0.contains("unknownthing") }, "\(problems)")
        let a = try #require(catalog["a"])
        let document = try a.select(request("param=167, number=all, fcmonth=01"), now: now).document
        #expect(document["param"] == .list(["2t"]))
        #expect(document["number"] == .list(["all"]))
        #expect(document["fcmonth"] == .list(["1"]))
        #expect(throws: PolytopeError.self) { try a.select(request("number=1/to/20"), now: now) }
    }

    @Test("collections without a language keep requests as sent")
    func noLanguage() throws {
        let (catalog, _) = try catalog("collections:\n  raw:\n    datasources: [{type: echo}]\n")
        let document = try #require(catalog["raw"]).select(request("date: -1\nparam: 2T"), now: now).document
        #expect(document["date"] == .list(["-1"]))
        #expect(document["param"] == .list(["2T"]))
    }
}
