/// The points around a path (or the part of it at one level and step).
///
/// Round inflation: within `radius` degrees of arc of the path, whose legs are great-circle
/// arcs; rows get a superset from caps around points sampled along the legs, then each
/// candidate is tested exactly. Box inflation: each leg, straight in (latitude, longitude),
/// swept by a box of the inflation's half-widths: a convex polygon per leg.
struct TrajectoryRegion: GridRegion {
    /// One leg of the path, as a great-circle arc (round) and as a straight (lat, lon) segment.
    struct Leg: Sendable {
        var start: GeoPoint
        var end: GeoPoint
    }

    let legs: [Leg]
    let inflate: Trajectory.Inflate
    let inflation: Trajectory.Inflation
    private let caps: [CircleRegion]
    private let sweptBoxes: PolygonsRegion?
    private let legVectors: [(UnitVector, UnitVector, south: Double, north: Double)]
    let latitudeBounds: ClosedRange<Double>

    /// The region of `trajectory` at a level and step (nil for paths without them): only the
    /// parts of legs whose interpolated level and step are within the inflation of them.
    init(_ trajectory: Trajectory, level: Double?, step: Double?) {
        inflate = trajectory.inflate
        inflation = trajectory.inflation
        var legs: [Leg] = []
        let waypoints = trajectory.waypoints
        for index in 0..<(max(waypoints.count, 1) - 1) {
            let a = waypoints[index]
            let b = waypoints[index + 1]
            var range = 0.0...1.0
            if let level, let from = a.level, let to = b.level {
                guard let part = Self.fractions(from: from, to: to, within: level, margin: inflation.level, of: range) else { continue }
                range = part
            }
            if let step, let from = a.step, let to = b.step {
                guard let part = Self.fractions(from: from, to: to, within: step, margin: inflation.step, of: range) else { continue }
                range = part
            }
            legs.append(Self.leg(from: a.point, to: b.point, fractions: range, inflate: trajectory.inflate))
        }
        self.legs = legs
        if trajectory.inflate == .box {
            sweptBoxes = PolygonsRegion(legs.map { Self.sweptBox($0, inflation: trajectory.inflation) })
            caps = []
            legVectors = []
            latitudeBounds = sweptBoxes!.latitudeBounds
        } else {
            sweptBoxes = nil
            let radius = trajectory.inflation.radius
            let totalLength = legs.reduce(0.0) { $0 + SphericalGeometry.angularDistanceDegrees($1.start, $1.end) }
            // Samples at most `spacing` apart; every point within `radius` of the path is then
            // within `radius + spacing / 2` of a sample.
            let spacing = max(radius / 2, totalLength / 5000, 1e-6)
            var caps: [CircleRegion] = []
            var vectors: [(UnitVector, UnitVector, south: Double, north: Double)] = []
            for leg in legs {
                let start = UnitVector(leg.start)
                let end = UnitVector(leg.end)
                let length = SphericalGeometry.angularDistanceDegrees(leg.start, leg.end)
                let pieces = max(1, Int((length / spacing).rounded(.up)))
                var south = 90.0
                var north = -90.0
                for piece in 0...pieces {
                    let point = start.interpolated(to: end, fraction: Double(piece) / Double(pieces)).geoPoint(nearLongitude: leg.start.longitude)
                    caps.append(CircleRegion(center: point, radiusDegrees: radius + spacing / 2 + 1e-9))
                    south = min(south, point.latitude)
                    north = max(north, point.latitude)
                }
                vectors.append((start, end, south - radius - spacing, north + radius + spacing))
            }
            self.caps = caps
            legVectors = vectors
            let south = caps.map { $0.latitudeBounds.lowerBound }.min() ?? 0
            let north = caps.map { $0.latitudeBounds.upperBound }.max() ?? -1
            latitudeBounds = south...max(south, north)
        }
    }

    var needsPointTest: Bool { inflate == .round }

    func longitudeIntervals(atLatitude latitude: Double) -> [ClosedRange<Double>] {
        if let sweptBoxes { return sweptBoxes.longitudeIntervals(atLatitude: latitude) }
        var intervals: [ClosedRange<Double>] = []
        for cap in caps where cap.latitudeBounds.contains(latitude) {
            intervals.append(contentsOf: cap.longitudeIntervals(atLatitude: latitude))
        }
        return intervals
    }

    func contains(_ point: GeoPoint) -> Bool {
        let vector = UnitVector(point)
        let limit = (inflation.radius + boundaryTolerance) * SphericalGeometry.degreesToRadians
        for leg in legVectors where point.latitude >= leg.south && point.latitude <= leg.north {
            if vector.angle(toArcFrom: leg.0, to: leg.1) <= limit { return true }
        }
        return false
    }

    /// The fractions t ∈ `range` of a leg where the value interpolated from `from` to `to` is
    /// within `margin` of `target`; nil when none.
    private static func fractions(from: Double, to: Double, within target: Double, margin: Double, of range: ClosedRange<Double>) -> ClosedRange<
        Double
    >? {
        let low = target - margin - 1e-9
        let high = target + margin + 1e-9
        if from == to { return (low...high).contains(from) ? range : nil }
        var t0 = (low - from) / (to - from)
        var t1 = (high - from) / (to - from)
        if t0 > t1 { swap(&t0, &t1) }
        let lower = max(t0, range.lowerBound)
        let upper = min(t1, range.upperBound)
        return lower <= upper ? lower...upper : nil
    }

    /// The part of the leg from a to b between two fractions: along the great circle for round
    /// inflation, along the (lat, lon) segment for box inflation.
    private static func leg(from a: GeoPoint, to b: GeoPoint, fractions: ClosedRange<Double>, inflate: Trajectory.Inflate) -> Leg {
        if fractions == 0...1 { return Leg(start: a, end: b) }
        switch inflate {
        case .box:
            func at(_ t: Double) -> GeoPoint {
                GeoPoint(latitude: a.latitude + t * (b.latitude - a.latitude), longitude: a.longitude + t * (b.longitude - a.longitude))
            }
            return Leg(start: at(fractions.lowerBound), end: at(fractions.upperBound))
        case .round:
            let start = UnitVector(a)
            let end = UnitVector(b)
            return Leg(
                start: start.interpolated(to: end, fraction: fractions.lowerBound).geoPoint(nearLongitude: a.longitude),
                end: start.interpolated(to: end, fraction: fractions.upperBound).geoPoint(nearLongitude: a.longitude))
        }
    }

    /// The convex polygon swept by a box of half-widths (latitude, longitude) along a leg.
    private static func sweptBox(_ leg: Leg, inflation: Trajectory.Inflation) -> [GeoPoint] {
        var corners: [GeoPoint] = []
        for centre in [leg.start, leg.end] {
            for (dLat, dLon) in [(-1.0, -1.0), (-1, 1), (1, 1), (1, -1)] {
                let latitude = min(90, max(-90, centre.latitude + dLat * inflation.latitude))
                corners.append(GeoPoint(latitude: latitude, longitude: centre.longitude + dLon * inflation.longitude))
            }
        }
        return ConvexHull.of(corners)
    }
}
