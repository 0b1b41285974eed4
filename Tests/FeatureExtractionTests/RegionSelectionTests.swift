import FeatureExtraction
import Foundation
import Testing

@Suite("Grid points inside regions")
struct RegionSelectionTests {
    static let oneDegree = try! GridGeometry(.globalLatLon(increment: 1))

    /// Whether `point` is inside or on the polygon (edges straight in lat/lon), by testing it directly.
    static func inPolygon(_ point: GeoPoint, _ ring: [GeoPoint]) -> Bool {
        var inside = false
        for index in ring.indices {
            let a = ring[index]
            let b = ring[(index + 1) % ring.count]
            // On the edge?
            let cross = (b.longitude - a.longitude) * (point.latitude - a.latitude) - (b.latitude - a.latitude) * (point.longitude - a.longitude)
            if abs(cross) < 1e-9, point.longitude >= min(a.longitude, b.longitude) - 1e-9, point.longitude <= max(a.longitude, b.longitude) + 1e-9,
                point.latitude >= min(a.latitude, b.latitude) - 1e-9, point.latitude <= max(a.latitude, b.latitude) + 1e-9
            {
                return true
            }
            if (a.latitude > point.latitude) != (b.latitude > point.latitude) {
                let x = a.longitude + (point.latitude - a.latitude) / (b.latitude - a.latitude) * (b.longitude - a.longitude)
                if point.longitude < x { inside.toggle() }
            }
        }
        return inside
    }

    /// The storage indices of all points of `geometry` passing `test`, trying each longitude
    /// shifted by whole turns so shapes on the real line are matched.
    static func bruteForce(_ geometry: GridGeometry, _ test: (GeoPoint) -> Bool) -> Set<Int> {
        var found = Set<Int>()
        for index in 0..<geometry.pointCount {
            let point = geometry.coordinates(ofIndex: index)!
            for turn in [-720.0, -360, 0, 360] where test(GeoPoint(latitude: point.latitude, longitude: point.longitude + turn)) {
                found.insert(index)
            }
        }
        return found
    }

    @Test func boxAcrossZeroIncludesItsBoundary() throws {
        let selection = try GridSelector.select(.boxes([LatLonBox(south: -1, north: 1, west: -3, east: 4)]), on: Self.oneDegree)
        #expect(selection.count == 3 * 8)
        // Rows south to north; on each row longitudes ascending in [0, 360).
        #expect(Array(selection.longitudes.prefix(8)) == [0, 1, 2, 3, 4, 357, 358, 359])
        #expect(selection.latitudes.prefix(8).allSatisfy { $0 == -1 } && selection.latitudes.suffix(8).allSatisfy { $0 == 1 })
        // Values of an analytic field read at the selected indices are the field at those points.
        for (position, index) in selection.indices.enumerated() {
            let point = Self.oneDegree.coordinates(ofIndex: index)!
            #expect(point == GeoPoint(latitude: selection.latitudes[position], longitude: selection.longitudes[position]))
        }
    }

    @Test func concavePolygon() throws {
        // A U open to the east: the notch (3 < lat < 7, lon > 3) is outside.
        let ring = [(0.0, 0.0), (10, 0), (10, 10), (7, 10), (7, 3), (3, 3), (3, 10), (0, 10)].map { GeoPoint(latitude: $0.0, longitude: $0.1) }
        let selection = try GridSelector.select(.polygons([ring]), on: Self.oneDegree)
        let points = Set(zip(selection.latitudes, selection.longitudes).map { "\(Int($0)),\(Int($1))" })
        #expect(points.contains("5,2") && points.contains("5,3") && !points.contains("5,4") && points.contains("3,10") && points.contains("7,5"))
        #expect(Set(selection.indices) == Self.bruteForce(Self.oneDegree) { Self.inPolygon($0, ring) })
        #expect(selection.count == 11 * 11 - 3 * 7)
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func randomPolygonsAgreeWithBruteForce(seed: Int) throws {
        var generator = SplitMix(seed: UInt64(seed))
        let grids = [try GridGeometry(.octahedral(32)), try GridGeometry(.regularGaussian(24)), Self.oneDegree]
        // A star-shaped (so simple, usually concave) polygon around a random centre.
        let centre = GeoPoint(latitude: generator.next(in: -60...60), longitude: generator.next(in: -200...400))
        let count = 7 + seed * 3
        let ring = (0..<count).map { vertex -> GeoPoint in
            let angle = 2 * Double.pi * Double(vertex) / Double(count)
            let radius = generator.next(in: 3...15)
            return GeoPoint(latitude: centre.latitude + radius * sin(angle), longitude: centre.longitude + radius * cos(angle))
        }
        for geometry in grids {
            let selection = try GridSelector.select(.polygons([ring]), on: geometry)
            #expect(Set(selection.indices) == Self.bruteForce(geometry) { Self.inPolygon($0, ring) })
            #expect(Set(selection.indices).count == selection.count)
        }
    }

    @Test func circleOnTheSphere() throws {
        let geometry = try GridGeometry(.octahedral(48))
        for (centre, radius) in [
            (GeoPoint(latitude: 0, longitude: 0), 5.0), (GeoPoint(latitude: 86, longitude: 30), 6), (GeoPoint(latitude: -40, longitude: 359), 12),
        ] {
            let selection = try GridSelector.select(.circle(center: centre, radiusDegrees: radius), on: geometry)
            let expected = Self.bruteForce(geometry) { SphericalGeometry.angularDistanceDegrees($0, centre) <= radius + 1e-9 }
            #expect(Set(selection.indices) == expected, "circle at \(centre)")
        }
        // Boundary included: on a 1° grid a circle of radius 1 about a grid point holds its 4 neighbours.
        let small = try GridSelector.select(.circle(center: GeoPoint(latitude: 0, longitude: 0), radiusDegrees: 1), on: Self.oneDegree)
        #expect(small.count == 5)
    }

    @Test func roundTrajectory() throws {
        let geometry = try GridGeometry(.octahedral(64))
        let waypoints = [(10.0, 350.0), (12, 5), (20, 8), (25, 2)].map { Trajectory.Waypoint(point: GeoPoint(latitude: $0.0, longitude: $0.1)) }
        let path = Trajectory(waypoints: waypoints, inflate: .round, inflation: .init(latitude: 2, longitude: 2))
        let selected = Set(try GridSelector.select(.trajectory(path), on: geometry).indices)
        #expect(selected.count > 40)
        // Every point near the path's box: its distance to the path, by sampling the arcs, decides
        // (points within 1e-5° of the boundary may go either way).
        var checked = 0
        for index in 0..<geometry.pointCount {
            let point = geometry.coordinates(ofIndex: index)!
            let longitude = point.longitude > 180 ? point.longitude - 360 : point.longitude
            guard point.latitude > 7, point.latitude < 28, longitude > -13, longitude < 11 else {
                #expect(!selected.contains(index))
                continue
            }
            let distance = zip(waypoints, waypoints.dropFirst()).map { Self.sampledAngle(from: point, toArcFrom: $0.point, to: $1.point) }.min()!
            if distance < 2 - 1e-5 { #expect(selected.contains(index), "\(point) at \(distance)") }
            if distance > 2 + 1e-5 { #expect(!selected.contains(index), "\(point) at \(distance)") }
            checked += 1
        }
        #expect(checked > 200)
    }

    @Test func boxTrajectory() throws {
        let waypoints = [(0.0, -5.0), (10, 5)].map { Trajectory.Waypoint(point: GeoPoint(latitude: $0.0, longitude: $0.1)) }
        let path = Trajectory(waypoints: waypoints, inflate: .box, inflation: .init(latitude: 1, longitude: 2))
        let selection = try GridSelector.select(.trajectory(path), on: Self.oneDegree)
        let expected = Self.bruteForce(Self.oneDegree) { point in
            // Some t ∈ [0, 1] puts the path point within the box around `point`.
            let low = max(0, (point.latitude - 1 - 0) / 10, (point.longitude - 2 + 5) / 10)
            let high = min(1, (point.latitude + 1) / 10, (point.longitude + 2 + 5) / 10)
            return low <= high + 1e-12
        }
        #expect(Set(selection.indices) == expected)
    }

    @Test("a limited-area grid stored from 350° to 10° answers regions written from -5° to 5°, or across its other turn")
    func limitedAreaAcrossZero() throws {
        let geometry = try GridGeometry(
            GridDescription(
                gridType: "regular_ll", numberOfDataPoints: 21 * 6, ni: 21, nj: 6, latitudeOfFirstGridPoint: 50, longitudeOfFirstGridPoint: 350,
                latitudeOfLastGridPoint: 45, longitudeOfLastGridPoint: 10, iDirectionIncrement: 1, jDirectionIncrement: 1))
        let west = try GridSelector.select(.boxes([LatLonBox(south: 45, north: 50, west: -5, east: 5)]), on: geometry)
        #expect(west.count == 11 * 6)
        #expect(Set(west.longitudes) == Set((355...365).map(Double.init)), "longitudes as the grid defines them")
        let east = try GridSelector.select(.boxes([LatLonBox(south: 45, north: 50, west: 5, east: 355)]), on: geometry)
        #expect(Set(east.longitudes) == Set([350, 351, 352, 353, 354, 355, 365, 366, 367, 368, 369, 370]), "both ends of the row")
        let circle = try GridSelector.select(.circle(center: GeoPoint(latitude: 47, longitude: 0), radiusDegrees: 1), on: geometry)
        #expect(circle.count == 5, "the centre and its four neighbours")
    }

    @Test("longitudes far beyond a turn select whole rows rather than overflow a column number")
    func hugeLongitudes() throws {
        let waypoints = [(0.0, 0.0), (0, 1)].map { Trajectory.Waypoint(point: GeoPoint(latitude: $0.0, longitude: $0.1)) }
        let path = Trajectory(waypoints: waypoints, inflate: .box, inflation: .init(latitude: 0.5, longitude: 1e300))
        let selection = try GridSelector.select(.trajectory(path), on: Self.oneDegree)
        #expect(selection.count == 360, "the row at the equator, whole")
    }

    @Test func trajectoryWithLevelsSelectsPerLevel() throws {
        let waypoints = [
            Trajectory.Waypoint(point: GeoPoint(latitude: 0, longitude: 0), level: 1000),
            Trajectory.Waypoint(point: GeoPoint(latitude: 0, longitude: 10), level: 500),
        ]
        let path = Trajectory(waypoints: waypoints, inflate: .box, inflation: .init(latitude: 0.5, longitude: 0.5, level: 50))
        let variant = GridSelector.variant(of: .trajectory(path), level: 750, step: 6)
        #expect(variant == GridSelector.Variant(level: 750, step: nil))
        let selection = try GridSelector.select(.trajectory(path), on: Self.oneDegree, variant: variant)
        // Level 750 ± 50 is reached between 40% and 60% of the way: longitudes 4 to 6 (± 0.5).
        #expect(selection.longitudes == [4, 5, 6])
    }

    /// The angle (degrees) from a point to a great-circle arc, by sampling the arc (error < 1e-5°).
    static func sampledAngle(from point: GeoPoint, toArcFrom a: GeoPoint, to b: GeoPoint) -> Double {
        var best = Double.infinity
        let steps = 3000
        let pa = vector(a)
        let pb = vector(b)
        let p = vector(point)
        let omega = acos(min(1, pa.0 * pb.0 + pa.1 * pb.1 + pa.2 * pb.2))
        for step in 0...steps {
            let t = Double(step) / Double(steps)
            let s1 = sin((1 - t) * omega) / sin(omega)
            let s2 = sin(t * omega) / sin(omega)
            let cosine = (s1 * pa.0 + s2 * pb.0) * p.0 + (s1 * pa.1 + s2 * pb.1) * p.1 + (s1 * pa.2 + s2 * pb.2) * p.2
            best = min(best, acos(min(1, cosine)) * 180 / Double.pi)
        }
        return best
    }

    static func vector(_ point: GeoPoint) -> (Double, Double, Double) {
        let phi = point.latitude * Double.pi / 180
        let lambda = point.longitude * Double.pi / 180
        return (cos(phi) * cos(lambda), cos(phi) * sin(lambda), sin(phi))
    }
}
