import FeatureExtraction
import PolytopeCore
import Testing

@Suite("Grid geometry against ecCodes")
struct GridGeometryTests {
    /// The grids of Resources/grids.json (see crosscheck/make_grid_references.py).
    /// ecCodes' reference grids, parsed once for every test case (600 KB).
    static let referenceGrids = Result { try TestResources.json("grids.json") }

    static func referenceGrid(_ name: String) throws -> (GridDescription, [GeoPoint], Int) {
        let all = try referenceGrids.get()
        guard let grid = all[name], let keys = grid["keys"] else { throw CancellationError() }
        func number(_ key: String) -> Double? { keys[key]?.doubleValue }
        func flag(_ key: String) -> Bool { number(key) == 1 }
        let description = GridDescription(
            gridType: keys["gridType"]?.stringValue ?? "", numberOfDataPoints: Int(number("numberOfDataPoints")!), ni: number("Ni").map { Int($0) },
            nj: Int(number("Nj")!), gaussianNumber: number("N").map { Int($0) },
            pointsPerRow: keys["pl"]?.arrayValue.compactMap { $0.doubleValue.map { Int($0) } }.nilIfEmpty,
            latitudeOfFirstGridPoint: number("latitudeOfFirstGridPointInDegrees")!,
            longitudeOfFirstGridPoint: number("longitudeOfFirstGridPointInDegrees")!,
            latitudeOfLastGridPoint: number("latitudeOfLastGridPointInDegrees")!,
            longitudeOfLastGridPoint: number("longitudeOfLastGridPointInDegrees")!, iDirectionIncrement: number("iDirectionIncrementInDegrees"),
            jDirectionIncrement: number("jDirectionIncrementInDegrees"), iScansNegatively: flag("iScansNegatively"),
            jScansPositively: flag("jScansPositively"), jPointsAreConsecutive: flag("jPointsAreConsecutive"))
        let points = grid["points"]!.arrayValue.map { GeoPoint(latitude: $0.arrayValue[0].doubleValue!, longitude: $0.arrayValue[1].doubleValue!) }
        return (description, points, Int(grid["every"]!.doubleValue!))
    }

    @Test(arguments: [
        "reduced_gg_n32", "regular_gg_n32", "regular_ll_area", "regular_ll_i_negative", "regular_ll_j_positive", "regular_ll_j_consecutive",
        "reduced_gg_n320",
    ])
    func everyPointWhereEcCodesPutsIt(name: String) throws {
        let (description, points, every) = try Self.referenceGrid(name)
        let geometry = try GridGeometry(description)
        #expect(geometry.pointCount == description.numberOfDataPoints)
        // Checked in a plain loop, one expectation at the end: thousands of #expect calls cost
        // seconds of a debug build's test time (and hold a thread every other test needs).
        var wrong: [String] = []
        for (position, expected) in points.enumerated() {
            let index = position * every
            guard let actual = geometry.coordinates(ofIndex: index) else {
                wrong.append("index \(index): no coordinates")
                continue
            }
            if abs(actual.latitude - expected.latitude) >= 1e-9 || abs(actual.longitude - expected.longitude) >= 1e-9 {
                wrong.append("index \(index): \(actual) instead of \(expected)")
            }
            // And back: the nearest grid point to a grid point is itself.
            if let nearest = geometry.nearestPoint(to: expected)?.index, nearest != index {
                wrong.append("index \(index): nearest point is \(nearest)")
            } else if geometry.nearestPoint(to: expected) == nil {
                wrong.append("index \(index): no nearest point")
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) of \(points.count) points wrong, first: \(wrong.prefix(5))")
    }

    @Test func gaussianLatitudes() throws {
        let n320 = try GridGeometry(.octahedral(320))
        let north = n320.rows[n320.rows.count - 1].latitude
        #expect(abs(north - 89.784877) < 5e-7)
        #expect(abs(north - 89.78487690721863) < 1e-12)
        #expect(n320.rows.count == 640 && n320.pointCount == 421_120)
        // Symmetric about the equator, and the rows nearest it at about ±half a spacing.
        #expect(abs(n320.rows[0].latitude + north) < 1e-12)
        #expect(n320.rows[320].latitude > 0.14 && n320.rows[320].latitude < 0.141)
        let n32 = try GridGeometry(.octahedral(32))
        #expect(abs(n32.rows[63].latitude - 87.863798839233) < 1e-11)
        #expect(n32.rows[63].count == 20 && n32.rows[32].count == 20 + 4 * 31)
    }

    @Test func octahedralIndexRoundTrip() throws {
        let geometry = try GridGeometry(.octahedral(32))
        for index in stride(from: 0, to: geometry.pointCount, by: 7) {
            let point = try #require(geometry.coordinates(ofIndex: index))
            #expect(geometry.nearestPoint(to: point)?.index == index)
        }
        // Storage starts at the north pole row, longitude 0, eastward.
        #expect(geometry.coordinates(ofIndex: 0) == GeoPoint(latitude: geometry.rows[63].latitude, longitude: 0))
        #expect(geometry.coordinates(ofIndex: 1)?.longitude == 18)
        #expect(geometry.coordinates(ofIndex: geometry.pointCount) == nil)
    }

    @Test func unsupportedGridsAreRefusedClearly() {
        var rotated = GridDescription.globalLatLon(increment: 1)
        rotated.gridType = "rotated_ll"
        #expect(throws: GridGeometryError("grid type 'rotated_ll' is not supported (supported: regular_ll, regular_gg, reduced_gg)")) {
            try GridGeometry(rotated)
        }
        var alternate = GridDescription.globalLatLon(increment: 1)
        alternate.alternativeRowScanning = true
        #expect(throws: GridGeometryError.self) { try GridGeometry(alternate) }
        var reduced = GridDescription.octahedral(8)
        reduced.iScansNegatively = true
        #expect(throws: GridGeometryError.self) { try GridGeometry(reduced) }
        var wrongCount = GridDescription.globalLatLon(increment: 1)
        wrongCount.numberOfDataPoints += 1
        #expect(throws: GridGeometryError("Ni × Nj = 360 × 181 does not match numberOfDataPoints = 65161")) { try GridGeometry(wrongCount) }
    }

    @Test func gridDescriptionIsACacheKey() throws {
        var cache: [GridDescription: GridGeometry] = [:]
        cache[.octahedral(32)] = try GridGeometry(.octahedral(32))
        #expect(cache[.octahedral(32)] != nil && cache[.octahedral(48)] == nil)
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}
