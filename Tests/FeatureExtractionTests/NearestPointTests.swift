import FeatureExtraction
import Testing

@Suite("Nearest grid point on the sphere")
struct NearestPointTests {
    static let oneDegree = try! GridGeometry(.globalLatLon(increment: 1))
    static let area = try! GridGeometry(.regularLatLon(north: 60, west: 0, south: 0, east: 30, increment: 2))

    /// The nearest point by looking at every grid point (ties: smallest index).
    static func bruteForce(_ point: GeoPoint, on geometry: GridGeometry) -> Int {
        var best = -1
        var bestAngle = Double.infinity
        for index in 0..<geometry.pointCount {
            let angle = SphericalGeometry.centralAngle(point, geometry.coordinates(ofIndex: index)!)
            if angle < bestAngle - 1e-12 {
                bestAngle = angle
                best = index
            }
        }
        return best
    }

    @Test func acrossTheZeroMeridian() throws {
        let geometry = Self.oneDegree
        // polytope-python picks 359 for 359.7 (flat distance, no wrap); the nearest point is 0.
        let nearest = try #require(geometry.nearestPoint(to: GeoPoint(latitude: 0, longitude: 359.7)))
        #expect(geometry.coordinates(ofIndex: nearest.index) == GeoPoint(latitude: 0, longitude: 0))
        #expect(abs(nearest.distanceDegrees - 0.3) < 1e-9)
        #expect(geometry.coordinates(ofIndex: geometry.nearestPoint(to: GeoPoint(latitude: 0, longitude: -0.3))!.index)?.longitude == 0)
        #expect(geometry.coordinates(ofIndex: geometry.nearestPoint(to: GeoPoint(latitude: 10, longitude: -1.2))!.index)?.longitude == 359)
        // A tie (359.5 is as far from 359 as from 0) goes to the point stored first: longitude 0.
        #expect(geometry.coordinates(ofIndex: geometry.nearestPoint(to: GeoPoint(latitude: 0, longitude: 359.5))!.index)?.longitude == 0)
    }

    @Test func nearThePoles() throws {
        let geometry = Self.oneDegree
        // Every point of the pole row is at the pole: the first stored one answers.
        let pole = try #require(geometry.nearestPoint(to: GeoPoint(latitude: 89.9, longitude: 123)))
        #expect(pole.index == 0)
        let south = try #require(geometry.nearestPoint(to: GeoPoint(latitude: -89.6, longitude: 200)))
        #expect(geometry.coordinates(ofIndex: south.index) == GeoPoint(latitude: -90, longitude: 0))
        // On an octahedral grid the pole rows have 20 points; nearest is found across the pole.
        let octahedral = try GridGeometry(.octahedral(32))
        for longitude in stride(from: -180.0, through: 540, by: 37.3) {
            for latitude in [89.99, 88.5, 87.9, -87.0, -89.5] {
                let point = GeoPoint(latitude: latitude, longitude: longitude)
                #expect(octahedral.nearestPoint(to: point)?.index == Self.bruteForce(point, on: octahedral), "\(point)")
            }
        }
    }

    @Test(arguments: ["o32", "f32", "one-degree", "area"])
    func agreesWithBruteForce(gridName: String) throws {
        let geometry: GridGeometry =
            switch gridName {
            case "o32": try GridGeometry(.octahedral(32))
            case "f32": try GridGeometry(.regularGaussian(32))
            case "one-degree": Self.oneDegree
            default: Self.area
            }
        var generator = SplitMix(seed: 42)
        for _ in 0..<(gridName == "one-degree" ? 60 : 200) {
            let point = GeoPoint(latitude: generator.next(in: -90...90), longitude: generator.next(in: -360...360))
            guard geometry.covers(point) else { continue }
            #expect(geometry.nearestPoint(to: point)?.index == Self.bruteForce(point, on: geometry), "\(point)")
        }
    }

    @Test func nearbyPointsEachGetTheirOwnAnswer() throws {
        // ecmwf/polytope#553: points 0.02° apart, and the same point twice, in one request.
        let geometry = try GridGeometry(.globalLatLon(increment: 0.25))
        let points = [
            GeoPoint(latitude: 50.70, longitude: 7.0), GeoPoint(latitude: 50.725, longitude: 7.108), GeoPoint(latitude: 50.7417, longitude: 7.2),
            GeoPoint(latitude: 50.70, longitude: 7.0),
        ]
        let selection = try GridSelector.select(.nearestPoints(points), on: geometry)
        #expect(selection.count == 4)
        #expect(selection.requestedPoints == points)
        #expect(selection.latitudes == [50.75, 50.75, 50.75, 50.75])
        #expect(selection.longitudes == [7.0, 7.0, 7.25, 7.0])
        #expect(selection.indices[0] == selection.indices[3])
        #expect(selection.sortedDistinctIndices.count == 2)
    }

    @Test func pointsOutsideALimitedAreaAreRefused() throws {
        let geometry = Self.area
        // Within half a spacing (1°) of the edge: answered with the edge point.
        let inside = try GridSelector.select(
            .nearestPoints([GeoPoint(latitude: 60.9, longitude: 10), GeoPoint(latitude: 30, longitude: 359.5)]), on: geometry)
        #expect(inside.latitudes == [60, 30] && inside.longitudes == [10, 0])
        // Farther: an error naming each point and the grid's extent (ecmwf/polytope#554).
        #expect(
            throws: GridSelectionError(problems: [
                "point [61.5, 10] is outside the grid (latitudes 0 to 60, longitudes 0 to 30); points are answered only inside the grid, never moved to its edge",
                "point [30, 31.5] is outside the grid (latitudes 0 to 60, longitudes 0 to 30); points are answered only inside the grid, never moved to its edge",
            ])
        ) {
            try GridSelector.select(
                .nearestPoints([
                    GeoPoint(latitude: 61.5, longitude: 10), GeoPoint(latitude: 30, longitude: 31.5), GeoPoint(latitude: 1, longitude: 1),
                ]),
                on: geometry)
        }
    }
}

/// A small deterministic random generator for tests.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
    }
}
