import Foundation
import GribArchive
import MarsLanguage
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

@Suite("Features datasource")
struct FeaturesDatasourceTests {
    /// A collection over one archive: `features` for requests with a feature, `grib-archive`
    /// (which refuses them) for the others.
    static func collection(root: String, options: String = "") throws -> CollectionDefinition {
        let (catalog, problems) = try readCatalog(
            """
            collections:
              archive:
                language: mars
                datasources:
                  - {name: features, type: features, root: "\(root)"\(options.isEmpty ? "" : ", " + options)}
                  - {name: fields, type: grib-archive, root: "\(root)", match: {feature: []}}
            """)
        guard problems.isEmpty, let collection = catalog["archive"] else { throw TestFailure(description: "\(problems)") }
        return collection
    }

    /// The value of the analytic test field at a point of the sample's grid (60..0 N, 0..30 E,
    /// every 2°) and a step.
    static func value(latitude: Double, longitude: Double, step: Int) -> Double {
        200 + latitude + longitude / 100 + Double(step) * 10
    }

    /// Archives 2t at steps 0, 6 and 12 of 2025-01-01 12 UTC with analytic values, written
    /// by ecCodes (simple packing, 24 bits).
    static func archiveFields(in samples: GribSamples, root: String) async throws {
        var files: [String] = []
        for step in [0, 6, 12] {
            var values: [String] = []
            for index in 0..<496 {
                let latitude = 60 - 2 * Double(index / 16)
                let longitude = 2 * Double(index % 16)
                values.append(String(format: "%.4f", value(latitude: latitude, longitude: longitude, step: step)))
            }
            let output = samples.directory.file("step\(step).grib")
            let rules = """
                set date = 20250101; set time = 1200; set step = \(step); set shortName = "2t";
                set bitsPerValue = 24; set values = {\(values.joined(separator: ","))};
                write "\(output)";
                """
            let rulesFile = samples.directory.file("step\(step).rules")
            try rules.write(toFile: rulesFile, atomically: true, encoding: .utf8)
            try await GribSamples.run("grib_filter", rulesFile, GribSamples.surface)
            files.append(output)
        }
        let archive = try GribArchive(configuration: .init(root: URL(fileURLWithPath: root)))
        let bytes = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        #expect(try await archive.archive(file: try samples.file(bytes), expecting: nil) == 3)
    }

    static func submit(_ text: String, to collection: CollectionDefinition) throws -> (any Datasource, DatasourceRequest) {
        var request = DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "archive", text: text,
            document: try RequestTextParser().parse(text))
        let selection = try collection.select(request)
        request.document = selection.document
        return (selection.route.datasource, request)
    }

    @Test("a timeseries at a point comes back as covjsonkit's CoverageJSON with the field's values")
    func timeseries() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await Self.archiveFields(in: samples, root: root)
        let collection = try Self.collection(root: root)
        let (datasource, request) = try Self.submit(
            """
            {"date": "20250101", "time": "1200", "param": "2t", "format": "covjson",
             "feature": {"type": "timeseries", "points": [[40.3, 9.9], [41.3, 10.2]], "time_axis": "step",
                         "range": {"start": 0, "end": 12, "interval": 6}}}
            """, to: collection)
        #expect(datasource is FeaturesDatasource)
        #expect(datasource.contentType(for: request) == "application/prs.coverage+json")
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)

        let answer = try #require(try JSONSerialization.jsonObject(with: Data(sink.bytes)) as? [String: Any])
        #expect(answer["type"] as? String == "CoverageCollection")
        #expect(answer["domainType"] as? String == "PointSeries")
        let coverages = try #require(answer["coverages"] as? [[String: Any]])
        #expect(coverages.count == 2)
        for (coverage, latitude) in zip(coverages, [40.0, 42.0]) {
            let ranges = try #require(coverage["ranges"] as? [String: [String: Any]])
            let values = try #require(ranges["2t"]?["values"] as? [Double])
            let expected = [0, 6, 12].map { Self.value(latitude: latitude, longitude: 10, step: $0) }
            #expect(values.count == 3)
            for (value, wanted) in zip(values, expected) { #expect(abs(value - wanted) < 1e-3) }
        }
    }

    @Test("the catalog the EDR front describes: parameters named as the answers name them, dates, times, no levels")
    func catalog() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        let collection = try Self.collection(root: root)
        let datasource = try #require(collection.route(named: "features")?.datasource as? any FeatureDatasource)
        #expect(!(collection.route(named: "fields")?.datasource is any FeatureDatasource))
        try await Self.archiveFields(in: samples, root: root)
        let catalog = try await datasource.featureCatalog()
        #expect(
            catalog.parameters.map { [$0.name, $0.label, $0.unit] } == [["2t", "2 metre temperature", "K"]])
        #expect(catalog.dates == ["20250101"])
        #expect(catalog.times == ["1200"])
        #expect(catalog.levels.isEmpty)
    }

    @Test("a request without a feature goes to grib-archive; a bad feature request is refused naming every problem")
    func submitChecks() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await Self.archiveFields(in: samples, root: root)
        let collection = try Self.collection(root: root, options: "max-points: 3")

        let (whole, _) = try Self.submit("date=20250101, param=2t, step=0", to: collection)
        #expect(whole is GribArchiveDatasource)

        // A point outside the limited-area grid (60..0 N, 0..30 E), never snapped to its edge.
        var refusal = try #require(throws: PolytopeError.self) {
            try Self.submit(
                #"{"date": "20250101", "param": "2t", "step": "0", "feature": {"type": "position", "points": [[70, 10], [30, 10]]}}"#,
                to: collection)
        }
        #expect(refusal.message.contains("point [70, 10] is outside the grid"))
        #expect(refusal.message.contains("key 'feature' must not be given") || refusal.message.contains("fields:"))

        // Unknown keys, too many points, a step missing from the archive: all in one answer.
        refusal = try #require(throws: PolytopeError.self) {
            try Self.submit(
                #"{"date": "20250101", "param": "2t", "feature": {"type": "timeseries", "pionts": [], "time_axis": "step", "range": {"start": 0, "end": 18, "interval": 6}}}"#,
                to: collection)
        }
        #expect(refusal.message.contains("pionts"))
        refusal = try #require(throws: PolytopeError.self) {
            try Self.submit(
                #"{"date": "20250101", "param": "2t", "feature": {"type": "timeseries", "points": [[1, 1], [2, 2], [3, 3], [4, 4]], "time_axis": "step", "range": {"start": 0, "end": 18, "interval": 6}}}"#,
                to: collection)
        }
        #expect(refusal.message.contains("more than the limit of 3"))
        refusal = try #require(throws: PolytopeError.self) {
            try Self.submit(
                #"{"date": "20250101", "param": "2t", "feature": {"type": "timeseries", "points": [[1, 1]], "time_axis": "step", "range": {"start": 0, "end": 18, "interval": 6}}}"#,
                to: collection)
        }
        #expect(refusal.message.contains("step=18"))

        // A range of 1e19 steps is checked for missing steps up to a bound, not counted in Int.
        refusal = try #require(throws: PolytopeError.self) {
            try Self.submit(
                #"{"date": "20250101", "param": "2t", "feature": {"type": "timeseries", "points": [[1, 1]], "time_axis": "step", "range": {"start": 0, "end": 1e19, "interval": 1}}}"#,
                to: collection)
        }
        #expect(refusal.message.contains("step=1,") || refusal.message.contains("step=1 "), "\(refusal.message.prefix(300))")
    }

    @Test("an answer that would hold more than max-values values at once is refused before any value is read")
    func heldValuesBound() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        try await Self.archiveFields(in: samples, root: root)
        let collection = try Self.collection(root: root, options: "max-values: 100")
        // The sample grid: 31 rows of 16 points; 10 rows x 10 columns fit, the whole grid does not.
        let box = { (north: Int, east: Int) in
            #"{"date": "20250101", "time": "1200", "step": "0", "param": "2t", "feature": {"type": "boundingbox", "points": [[0, 0], [\#(north), \#(east)]]}}"#
        }
        let (small, smallRequest) = try Self.submit(box(18, 18), to: collection)
        try await small.retrieve(smallRequest, into: CollectingSink())
        let (whole, wholeRequest) = try Self.submit(box(60, 30), to: collection)
        let refusal = try await #require(throws: PolytopeError.self) { try await whole.retrieve(wholeRequest, into: CollectingSink()) }
        #expect(refusal.message.contains("would hold 496 values at once"), "\(refusal.message)")
        #expect(refusal.message.contains("limit of 100 (max-values)"))
    }

    @Test("a date range's interval counts days, as MARS 'by' does, across the end of a month")
    func dateRangeInterval() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let root = samples.directory.file("archive")
        var files: [String] = []
        for date in ["20250129", "20250205"] {
            let output = samples.directory.file("\(date).grib")
            let rulesFile = samples.directory.file("\(date).rules")
            try #"set date = \#(date); set time = 1200; set step = 0; set shortName = "2t"; write "\#(output)";"#
                .write(toFile: rulesFile, atomically: true, encoding: .utf8)
            try await GribSamples.run("grib_filter", rulesFile, GribSamples.surface)
            files.append(output)
        }
        let archive = try GribArchive(configuration: .init(root: URL(fileURLWithPath: root)))
        let bytes = try files.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        #expect(try await archive.archive(file: try samples.file(bytes), expecting: nil) == 2)
        let (datasource, request) = try Self.submit(
            """
            {"time": "1200", "step": "0", "param": "2t",
             "feature": {"type": "timeseries", "points": [[40, 10]], "time_axis": "date",
                         "range": {"start": 20250129, "end": 20250205, "interval": 7}}}
            """, to: try Self.collection(root: root))
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(sink.bytes)) as? [String: Any])
        let coverage = try #require((answer["coverages"] as? [[String: Any]])?.first)
        let axes = try #require((coverage["domain"] as? [String: Any])?["axes"] as? [String: Any])
        let times = try #require((axes["t"] as? [String: Any])?["values"] as? [String])
        #expect(times.count == 2, "\(times)")
    }
}
