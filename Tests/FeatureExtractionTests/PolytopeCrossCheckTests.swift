import FeatureExtraction
import PolytopeCore
import Testing

/// The engine against polytope-python 2.1.20's slicer and octahedral mapper, as recorded by
/// crosscheck/polytope_crosscheck.py in Resources/crosscheck/polytope.json.
@Suite("Cross-check with polytope-python")
struct PolytopeCrossCheckTests {
    static let record = try! TestResources.json("crosscheck/polytope.json")
    static let oneDegree = try! GridGeometry(.globalLatLon(increment: 1))

    static func points(_ value: JSONValue?) -> [[Double]] {
        (value?.arrayValue ?? []).map { $0.arrayValue.compactMap(\.doubleValue) }
    }

    static func shape(_ shape: JSONValue) -> FeatureShape {
        switch shape["type"]?.stringValue {
        case "boxes":
            return .boxes(points(shape["boxes"]).map { LatLonBox(south: $0[0], north: $0[2], west: $0[1], east: $0[3]) })
        case "polygon":
            return .polygons([points(shape["ring"]).map { GeoPoint(latitude: $0[0], longitude: $0[1]) }])
        default:
            return .nearestPoints(points(shape["points"]).map { GeoPoint(latitude: $0[0], longitude: $0[1]) })
        }
    }

    @Test(arguments: ["box across 0", "box", "concave polygon", "triangle across 0"])
    func regionsSelectTheSamePointsInTheSameOrder(name: String) throws {
        let cases = Self.record["regular_1_degree"]!.arrayValue
        let recorded = try #require(cases.first { $0["name"]?.stringValue == name })
        let expected = Self.points(recorded["polytope"])
        let selection = try GridSelector.select(Self.shape(recorded["shape"]!), on: Self.oneDegree)
        let ours = zip(selection.latitudes, selection.longitudes).map { [$0, $1] }
        #expect(!expected.isEmpty)
        #expect(ours == expected)
    }

    @Test func nearestDiffersWherePolytopeIgnoresTheWrap() throws {
        let cases = Self.record["regular_1_degree"]!.arrayValue
        let wrap = try #require(cases.first { $0["name"]?.stringValue == "nearest 359.7" })
        // polytope-python's slicer answers with candidates at longitude 359 (flat distance, no wrap).
        #expect(Self.points(wrap["polytope"]).allSatisfy { $0[1] == 359 })
        let ours = try GridSelector.select(Self.shape(wrap["shape"]!), on: Self.oneDegree)
        #expect(ours.latitudes == [0] && ours.longitudes == [0])
        // Two nearby points: polytope returns a block of 10 candidate points; the engine one answer per point.
        let nearby = try #require(cases.first { $0["name"]?.stringValue == "nearest nearby points" })
        #expect(Self.points(nearby["polytope"]).count == 10)
        let answer = try GridSelector.select(Self.shape(nearby["shape"]!), on: Self.oneDegree)
        #expect(answer.latitudes == [51, 51] && answer.longitudes == [7, 7])
    }

    @Test func octahedralGridAsPolytopesMapperSeesIt() throws {
        let geometry = try GridGeometry(.octahedral(32))
        let recorded = Self.points(Self.record["octahedral_32"])
        #expect(recorded.count == geometry.pointCount)
        for point in recorded {
            let index = Int(point[2])
            let ours = try #require(geometry.coordinates(ofIndex: index))
            #expect(abs(ours.latitude - point[0]) < 1e-9 && abs(ours.longitude - point[1]) < 1e-9, "index \(index)")
        }
    }
}
