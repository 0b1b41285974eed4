import FeatureExtraction
import Foundation
import PolytopeCore
import Testing

/// Answers whose fields lie on different grids (a resolution change between dates, steps or
/// levels; parameters on different grids): every value is labelled with the coordinates of
/// the grid point it was read at, or the answer is refused when its layout cannot say so.
@Suite("Fields on different grids")
struct MixedGridCoverageTests {
    /// The nearest points of requested point [25.3, 10.2] on a 1° grid and on O32.
    static let degree = GridSelection(
        indices: [0], latitudes: [25], longitudes: [10], requestedPoints: [GeoPoint(latitude: 25.3, longitude: 10.2)])
    static let o32 = GridSelection(
        indices: [7], latitudes: [26.510769325211], longitudes: [10], requestedPoints: [GeoPoint(latitude: 25.3, longitude: 10.2)])

    static func keys(date: String = "20250101", step: String = "0", param: String = "167", level: String? = nil) -> [String: String] {
        var keys = ["class": "od", "date": date, "time": "1200", "step": step, "param": param, "levtype": level == nil ? "sfc" : "pl"]
        keys["levelist"] = level
        return keys
    }

    /// The coverages of the answer: (latitude, longitude, t values, each range's values).
    static func coverages(_ bytes: [UInt8]) throws -> [(latitude: Double, longitude: Double, times: Int, ranges: [String: [Double?]])] {
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        return try #require(document["coverages"]?.arrayValue).map { coverage in
            let axes = coverage["domain"]?["axes"]
            var ranges: [String: [Double?]] = [:]
            if case .object(let object)? = coverage["ranges"] {
                for (name, range) in object { ranges[name] = range["values"]?.arrayValue.map(\.doubleValue) ?? [] }
            }
            return (
                axes?["latitude"]?["values"]?.arrayValue.first?.doubleValue ?? .nan,
                axes?["longitude"]?["values"]?.arrayValue.first?.doubleValue ?? .nan,
                axes?["t"]?["values"]?.arrayValue.count ?? 0, ranges
            )
        }
    }

    @Test("a position over two dates on different grids: each coverage has its own grid point")
    func positionAcrossAResolutionChange() throws {
        let plan = try CoveragePlan(layout: .position, fields: [Self.keys(date: "20250101"), Self.keys(date: "20250102")])
        let bytes = try CoverageJSONWriter.encode(
            plan: plan,
            fields: [
                ExtractedField(fieldNumber: 0, selection: Self.degree, values: [212.6]),
                ExtractedField(fieldNumber: 1, selection: Self.o32, values: [213.3554]),
            ])
        let coverages = try Self.coverages(bytes)
        #expect(coverages.map(\.latitude) == [25, 26.510769325211])
        #expect(coverages.map { $0.ranges["2t"]! } == [[212.6], [213.3554]])
    }

    @Test("a timeseries whose steps lie on different grids: one coverage per grid point read, in field order")
    func timeseriesAcrossGrids() throws {
        let plan = try CoveragePlan(
            layout: .pointSeries(timeAxis: .step), fields: ["0", "6", "12"].map { Self.keys(step: $0) })
        #expect(plan.groups.count == 1)
        let selections = [Self.degree, Self.o32, Self.degree]
        let fields = selections.enumerated().map { ExtractedField(fieldNumber: $0, selection: $1, values: [Double($0)]) }
        let coverages = try Self.coverages(try CoverageJSONWriter.encode(plan: plan, fields: fields.reversed()))
        #expect(coverages.map(\.latitude) == [25, 26.510769325211])
        #expect(coverages.map(\.times) == [2, 1])
        #expect(coverages.map { $0.ranges["2t"]! } == [[0, 2], [1]])
    }

    @Test("a vertical profile whose levels lie on different grids, two params on different grids: split the same way")
    func profileAndParamsAcrossGrids() throws {
        let profile = try CoveragePlan(layout: .verticalProfile, fields: ["500", "850"].map { Self.keys(param: "130", level: $0) })
        var coverages = try Self.coverages(
            try CoverageJSONWriter.encode(
                plan: profile,
                fields: [
                    ExtractedField(fieldNumber: 0, selection: Self.degree, values: [217.6]),
                    ExtractedField(fieldNumber: 1, selection: Self.o32, values: [221.9]),
                ]))
        #expect(coverages.map(\.latitude) == [25, 26.510769325211])
        #expect(coverages.map { $0.ranges["t"]! } == [[217.6], [221.9]])

        let params = try CoveragePlan(layout: .pointSeries(timeAxis: .step), fields: [Self.keys(param: "167"), Self.keys(param: "151")])
        let shifted = GridSelection(indices: [3], latitudes: [25], longitudes: [10.5], requestedPoints: Self.degree.requestedPoints)
        coverages = try Self.coverages(
            try CoverageJSONWriter.encode(
                plan: params,
                fields: [
                    ExtractedField(fieldNumber: 0, selection: Self.degree, values: [212.6]),
                    ExtractedField(fieldNumber: 1, selection: shifted, values: [212.6046]),
                ]))
        #expect(coverages.map(\.longitude) == [10, 10.5])
        #expect(coverages.map { Set($0.ranges.keys) } == [["2t"], ["msl"]])
    }

    @Test("fields read at the same coordinates share one coverage; fields never delivered go with the first part")
    func sameCoordinatesAndUndeliveredFields() throws {
        let plan = try CoveragePlan(layout: .pointSeries(timeAxis: .step), fields: ["0", "6", "12"].map { Self.keys(step: $0) })
        // Another grid with a point at the same place (a 0.25° grid has 25 N 10 E too).
        let quarter = GridSelection(indices: [99], latitudes: [25], longitudes: [10], requestedPoints: Self.degree.requestedPoints)
        var writer = CoverageJSONWriter(plan: plan)
        var bytes = try writer.append(ExtractedField(fieldNumber: 1, selection: Self.o32, values: [1]))
        bytes += try writer.append(ExtractedField(fieldNumber: 2, selection: quarter, values: [2]))
        bytes += try writer.finish()
        var coverages = try Self.coverages(bytes)
        #expect(coverages.map(\.latitude) == [26.510769325211, 25])
        #expect(coverages.map { $0.ranges["2t"]! } == [[nil, 1], [2]])

        writer = CoverageJSONWriter(plan: plan)
        bytes = try writer.append(ExtractedField(fieldNumber: 0, selection: Self.degree, values: [0]))
        bytes += try writer.append(ExtractedField(fieldNumber: 2, selection: quarter, values: [2]))
        bytes += try writer.finish()
        coverages = try Self.coverages(bytes)
        #expect(coverages.count == 1)
        #expect(coverages.first?.ranges["2t"] == [0, nil, 2])
    }

    @Test("a box or trajectory whose params lie on different grids with as many points is refused with a 400, not mislabelled")
    func multiPointParamsOnDifferentGrids() throws {
        let box = GridSelection(indices: [0, 1, 2], latitudes: [20, 20, 20], longitudes: [10, 11, 12])
        let shifted = GridSelection(indices: [0, 1, 2], latitudes: [20, 20, 20], longitudes: [10.5, 11.5, 12.5])
        for layout in [CoverageLayout.multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]), .trajectory] {
            let plan = try CoveragePlan(layout: layout, fields: [Self.keys(param: "167"), Self.keys(param: "151")])
            let error = try #require(throws: CoverageEncodingError.self) {
                try CoverageJSONWriter.encode(
                    plan: plan,
                    fields: [
                        ExtractedField(fieldNumber: 0, selection: box, values: [1, 2, 3]),
                        ExtractedField(fieldNumber: 1, selection: shifted, values: [4, 5, 6]),
                    ])
            }
            #expect(error.kind == .fieldsOnDifferentGrids)
            #expect(error.polytopeError.code == .invalidRequest)
            #expect(error.userMessage.contains("2t and msl") && error.userMessage.contains("request them separately"), "\(error.userMessage)")
            #expect(plan.gridConflicts { $0 == 0 ? "1°" : "shifted 1°" } == [CoveragePlan.GridConflict(first: 0, other: 1)])
            // On one grid: written.
            let bytes = try CoverageJSONWriter.encode(
                plan: plan,
                fields: [
                    ExtractedField(fieldNumber: 0, selection: box, values: [1, 2, 3]),
                    ExtractedField(fieldNumber: 1, selection: box, values: [4, 5, 6]),
                ])
            #expect(!bytes.isEmpty)
        }
        // Internal faults stay 500s, their details in the logs.
        #expect(CoverageEncodingError("field 0 was given twice").polytopeError.code == .internalError)
    }

    @Test("grid conflicts: levels of a box may lie on different grids, params of one level may not; point layouts never conflict")
    func gridConflicts() throws {
        let multiPoint = CoverageLayout.multiPoint(coordinateNames: ["latitude", "longitude", "levelist"])
        let levels = try CoveragePlan(layout: multiPoint, fields: ["500", "850"].map { Self.keys(param: "130", level: $0) })
        #expect(levels.gridConflicts { $0 == 0 ? "1°" : "O32" }.isEmpty)
        // Two dates (two coverages), params mixed in the second only; unknown grids are left out.
        let fields = ["20250101", "20250102"].flatMap { date in ["167", "151"].map { Self.keys(date: date, param: $0) } }
        let plan = try CoveragePlan(layout: multiPoint, fields: fields)
        #expect(plan.gridConflicts { $0 == 3 ? "O32" : "1°" } == [CoveragePlan.GridConflict(first: 2, other: 3)])
        #expect(plan.gridConflicts { $0 == 3 ? nil : $0 == 2 ? "O32" : "1°" }.isEmpty)
        let steps = try CoveragePlan(layout: .trajectory, fields: ["0", "6"].map { Self.keys(step: $0) })
        #expect(steps.gridConflicts { $0 == 0 ? "1°" : "O32" }.isEmpty)
        let series = try CoveragePlan(layout: .pointSeries(timeAxis: .step), fields: fields)
        #expect(series.gridConflicts { $0 == 3 ? "O32" : "1°" }.isEmpty)
    }

    @Test("a grid in a few words tells apart grids that differ only in their first point")
    func gridSummary() {
        #expect(GridDescription.globalLatLon(increment: 1).summary == "regular_ll 1°×1° grid of 360×181 points from [90, 0]")
        var shifted = GridDescription.globalLatLon(increment: 1)
        shifted.longitudeOfFirstGridPoint = 0.5
        #expect(shifted.summary.hasSuffix("from [90, 0.5]"))
        #expect(GridDescription.octahedral(32).summary.hasPrefix("reduced_gg N32 grid of 5248 points"))
    }
}
