/// A region of the sphere described row by row: for any latitude, the longitude intervals (on
/// the real line) inside it. Grid points are enumerated from these intervals, so selecting
/// costs O(rows × edges + points) rather than a test per grid point.
protocol GridRegion: Sendable {
    /// The latitudes outside which no point is inside.
    var latitudeBounds: ClosedRange<Double> { get }
    /// The longitude intervals inside the region at `latitude`, boundaries included; they may
    /// overlap or extend beyond 360°.
    func longitudeIntervals(atLatitude latitude: Double) -> [ClosedRange<Double>]
    /// Whether the intervals are only a superset, to be narrowed point by point with `contains`.
    var needsPointTest: Bool { get }
    /// The exact test, when `needsPointTest`.
    func contains(_ point: GeoPoint) -> Bool
}

/// Regions whose intervals are exact need no point test.
extension GridRegion {
    var needsPointTest: Bool { false }
    func contains(_ point: GeoPoint) -> Bool { true }
}

/// How far (degrees) outside a boundary a grid point may lie and still count as on it, to
/// absorb rounding in grid coordinates and in the request (polytope uses 1e-12 on its axes;
/// GRIB latitudes carry micro-degree rounding that this does not hide).
let boundaryTolerance = 1e-9

/// Boxes: each a latitude band with one longitude interval.
struct BoxesRegion: GridRegion {
    var boxes: [LatLonBox]

    var latitudeBounds: ClosedRange<Double> {
        (boxes.map(\.south).min() ?? 0) - boundaryTolerance...(boxes.map(\.north).max() ?? 0) + boundaryTolerance
    }

    func longitudeIntervals(atLatitude latitude: Double) -> [ClosedRange<Double>] {
        boxes.compactMap { box in
            latitude >= box.south - boundaryTolerance && latitude <= box.north + boundaryTolerance ? box.west...box.east : nil
        }
    }
}

/// Polygons with edges straight in (latitude, longitude), boundaries included: per latitude
/// the even-odd crossings of the edges give the interior, and every edge touching the
/// latitude adds its own points (vertices, horizontal edges), so boundary points are never lost.
struct PolygonsRegion: GridRegion {
    /// One edge, with its latitude range precomputed.
    struct Edge: Sendable {
        var start: GeoPoint
        var end: GeoPoint
        var south: Double
        var north: Double
    }

    /// The edges of each polygon.
    let polygons: [[Edge]]
    let latitudeBounds: ClosedRange<Double>

    init(_ rings: [[GeoPoint]]) {
        polygons = rings.map { ring in
            ring.indices.map { index in
                let start = ring[index]
                let end = ring[(index + 1) % ring.count]
                return Edge(start: start, end: end, south: min(start.latitude, end.latitude), north: max(start.latitude, end.latitude))
            }
        }
        let latitudes = rings.joined().map(\.latitude)
        latitudeBounds = (latitudes.min() ?? 0) - boundaryTolerance...(latitudes.max() ?? 0) + boundaryTolerance
    }

    func longitudeIntervals(atLatitude latitude: Double) -> [ClosedRange<Double>] {
        var intervals: [ClosedRange<Double>] = []
        var crossings: [Double] = []
        for edges in polygons {
            crossings.removeAll(keepingCapacity: true)
            for edge in edges where edge.south - boundaryTolerance <= latitude && latitude <= edge.north + boundaryTolerance {
                let deltaLatitude = edge.end.latitude - edge.start.latitude
                if abs(deltaLatitude) <= boundaryTolerance {
                    // A horizontal edge on this latitude: all of it is boundary.
                    intervals.append(min(edge.start.longitude, edge.end.longitude)...max(edge.start.longitude, edge.end.longitude))
                    continue
                }
                let fraction = min(max((latitude - edge.start.latitude) / deltaLatitude, 0), 1)
                let longitude = edge.start.longitude + fraction * (edge.end.longitude - edge.start.longitude)
                intervals.append(longitude...longitude)
                // Half-open rule for the interior: an edge counts when the latitude is in [south, north).
                if edge.south <= latitude && latitude < edge.north { crossings.append(longitude) }
            }
            crossings.sort()
            var index = 0
            while index + 1 < crossings.count {
                intervals.append(crossings[index]...crossings[index + 1])
                index += 2
            }
        }
        return intervals
    }
}
