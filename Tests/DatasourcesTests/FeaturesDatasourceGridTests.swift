import Foundation
import GribArchive
import MarsLanguage
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

/// A features datasource over fields on different grids, and `max-fields` against a feature's range.
@Suite("Features datasource: grids and field limits")
struct FeaturesDatasourceGridTests {
    /// Archives, for 2025-01-01 12 UTC step 0, 2t on the sample's grid (60..0 N, 0..30 E every
    /// 2°) and msl on the same grid shifted 1° east (1..31 E).
    static func archiveShiftedParams(in samples: GribSamples, root: String) async throws {
        let temperature = try await samples.message("date=20250101,time=1200,step=0,shortName=2t")
        let pressure = try await samples.message(
            "date=20250101,time=1200,step=0,shortName=msl,longitudeOfFirstGridPointInDegrees=1,longitudeOfLastGridPointInDegrees=31")
        let archive = try GribArchive(configuration: .init(root: URL(fileURLWithPath: root)))
        #expect(try await archive.archive(file: try samples.file([temperature, pressure]), expecting: nil) == 2)
    }

    @Test("a box over params on different grids is refused at submission, naming the params and their grids")
    func boxOverParamsOnDifferentGrids() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await Self.archiveShiftedParams(in: samples, root: root)
        let collection = try FeaturesDatasourceTests.collection(root: root)
        let box = { (params: String) in
            #"{"date": "20250101", "time": "1200", "step": "0", "param": \#(params), "feature": {"type": "boundingbox", "points": [[20, 10], [22, 14]]}}"#
        }
        let refusal = try #require(throws: PolytopeError.self) { try FeaturesDatasourceTests.submit(box(#"["2t", "msl"]"#), to: collection) }
        #expect(refusal.code == .invalidRequest)
        #expect(refusal.message.contains("parameters of one coverage lie on different grids"), "\(refusal.message)")
        #expect(refusal.message.contains("2t (date=20250101, time=1200, step=0) on a regular_ll 2°×2° grid of 16×31 points from [60, 0]"))
        #expect(refusal.message.contains("msl (date=20250101, time=1200, step=0) on a regular_ll 2°×2° grid of 16×31 points from [60, 1]"))
        #expect(refusal.message.contains("request these parameters separately"))

        // Past the submission check (a request queued before the fields were archived): refused
        // when it runs, with the same message, before any value is read.
        let datasource = FeaturesDatasource(configuration: .init(root: root))
        let request = DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "archive", text: box(#"["2t", "msl"]"#),
            document: try RequestTextParser().parse(box(#"["2t", "msl"]"#)))
        let sink = CollectingSink()
        let failure = try await #require(throws: PolytopeError.self) { try await datasource.retrieve(request, into: sink) }
        #expect(failure.code == .invalidRequest)
        #expect(refusal.message.contains(failure.message))
        #expect(sink.bytes.isEmpty)

        // One param at a time is answered.
        let (single, singleRequest) = try FeaturesDatasourceTests.submit(box(#""msl""#), to: collection)
        try await single.retrieve(singleRequest, into: CollectingSink())
    }

    @Test("a timeseries over params on different grids: one coverage per grid point read, each with its coordinates")
    func pointOverParamsOnDifferentGrids() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await Self.archiveShiftedParams(in: samples, root: root)
        let (datasource, request) = try FeaturesDatasourceTests.submit(
            #"{"date": "20250101", "time": "1200", "step": "0", "param": ["2t", "msl"], "feature": {"type": "position", "points": [[20.2, 10.2]]}}"#,
            to: try FeaturesDatasourceTests.collection(root: root))
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(sink.bytes)) as? [String: Any])
        let coverages = try #require(answer["coverages"] as? [[String: Any]])
        let places = coverages.map { coverage -> [Double] in
            let axes = (coverage["domain"] as? [String: Any])?["axes"] as? [String: [String: Any]]
            return ["latitude", "longitude"].compactMap { (axes?[$0]?["values"] as? [Double])?.first }
        }
        #expect(places == [[20, 10], [20, 11]])
        #expect(coverages.map { ($0["ranges"] as? [String: Any])?.keys.sorted() ?? [] } == [["2t"], ["msl"]])
    }

    @Test("max-fields counts the fields a feature's range uses, not every archived value of the ranged key")
    func maxFieldsAfterTheRange() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await FeaturesDatasourceTests.archiveFields(in: samples, root: root)  // steps 0, 6 and 12
        let collection = try FeaturesDatasourceTests.collection(root: root, options: "max-fields: 2")
        let series = { (end: Int) in
            #"{"date": "20250101", "time": "1200", "param": "2t", "feature": {"type": "timeseries", "points": [[40, 10]], "time_axis": "step", "range": {"start": 0, "end": \#(end), "interval": 6}}}"#
        }
        let (datasource, request) = try FeaturesDatasourceTests.submit(series(6), to: collection)
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(sink.bytes)) as? [String: Any])
        let coverage = try #require((answer["coverages"] as? [[String: Any]])?.first)
        #expect(((coverage["ranges"] as? [String: [String: Any]])?["2t"]?["values"] as? [Double])?.count == 2)
        // Three fields in the range: more than the limit.
        let refusal = try #require(throws: PolytopeError.self) { try FeaturesDatasourceTests.submit(series(12), to: collection) }
        #expect(refusal.message.contains("more than 2 fields"), "\(refusal.message)")
    }
}
