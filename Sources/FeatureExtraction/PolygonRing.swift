/// Checks on a polygon's ring, in the (longitude, latitude) plane its edges are straight in.
enum PolygonRing {
    /// Where two edges of a ring meet although they are not neighbours (or neighbours fold back
    /// on each other): the indices of the edges' first vertices and a point they share.
    struct Crossing: Hashable {
        var firstEdge: Int
        var secondEdge: Int
        var point: GeoPoint
    }

    /// The ring without its closing vertex (when the last repeats the first) and without
    /// consecutive repeated vertices.
    static func normalised(_ points: [GeoPoint]) -> [GeoPoint] {
        var ring: [GeoPoint] = []
        for point in points where ring.last != point { ring.append(point) }
        while ring.count > 1, ring.first == ring.last { ring.removeLast() }
        return ring
    }

    /// The first `limit` places where the ring touches or crosses itself; empty for a simple
    /// polygon. Edges are compared pairwise after a bounding-box test (the ring is at most
    /// `FeatureLimits.maxPoints` long).
    static func selfCrossings(_ ring: [GeoPoint], limit: Int = 3) -> [Crossing] {
        let count = ring.count
        guard count >= 3 else { return [] }
        var crossings: [Crossing] = []
        let boxes = (0..<count).map { index -> (minX: Double, maxX: Double, minY: Double, maxY: Double) in
            let a = ring[index]
            let b = ring[(index + 1) % count]
            return (min(a.longitude, b.longitude), max(a.longitude, b.longitude), min(a.latitude, b.latitude), max(a.latitude, b.latitude))
        }
        for first in 0..<count {
            let a1 = ring[first]
            let a2 = ring[(first + 1) % count]
            for second in (first + 1)..<count {
                let adjacent = second == first + 1 || (first == 0 && second == count - 1)
                let boxA = boxes[first]
                let boxB = boxes[second]
                if boxA.maxX < boxB.minX || boxB.maxX < boxA.minX || boxA.maxY < boxB.minY || boxB.maxY < boxA.minY { continue }
                let b1 = ring[second]
                let b2 = ring[(second + 1) % count]
                if adjacent {
                    // Neighbours share a vertex; they only fault when they fold back along each other.
                    let shared = second == first + 1 ? a2 : a1
                    let otherA = second == first + 1 ? a1 : a2
                    let otherB = second == first + 1 ? b2 : b1
                    if orientation(otherA, shared, otherB) == 0, dot(otherA, shared, otherB) > 0 {
                        crossings.append(Crossing(firstEdge: first, secondEdge: second, point: shared))
                    }
                } else if let point = intersection(a1, a2, b1, b2) {
                    crossings.append(Crossing(firstEdge: first, secondEdge: second, point: point))
                }
                if crossings.count >= limit { return crossings }
            }
        }
        return crossings
    }

    /// Twice the signed area of the triangle (a, b, c) in the (lon, lat) plane: > 0 turning left.
    static func orientation(_ a: GeoPoint, _ b: GeoPoint, _ c: GeoPoint) -> Double {
        (b.longitude - a.longitude) * (c.latitude - a.latitude) - (b.latitude - a.latitude) * (c.longitude - a.longitude)
    }

    /// The dot product of (a − shared) and (c − shared): positive when both leave `shared` on
    /// the same side.
    private static func dot(_ a: GeoPoint, _ shared: GeoPoint, _ c: GeoPoint) -> Double {
        (a.longitude - shared.longitude) * (c.longitude - shared.longitude) + (a.latitude - shared.latitude) * (c.latitude - shared.latitude)
    }

    /// A point common to segments p1p2 and q1q2, or nil when they do not meet.
    static func intersection(_ p1: GeoPoint, _ p2: GeoPoint, _ q1: GeoPoint, _ q2: GeoPoint) -> GeoPoint? {
        let d1 = orientation(q1, q2, p1)
        let d2 = orientation(q1, q2, p2)
        let d3 = orientation(p1, p2, q1)
        let d4 = orientation(p1, p2, q2)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
            let t = d1 / (d1 - d2)
            return GeoPoint(latitude: p1.latitude + t * (p2.latitude - p1.latitude), longitude: p1.longitude + t * (p2.longitude - p1.longitude))
        }
        if d1 == 0, onSegment(q1, q2, p1) { return p1 }
        if d2 == 0, onSegment(q1, q2, p2) { return p2 }
        if d3 == 0, onSegment(p1, p2, q1) { return q1 }
        if d4 == 0, onSegment(p1, p2, q2) { return q2 }
        return nil
    }

    /// Whether `point`, collinear with a and b, lies between them.
    private static func onSegment(_ a: GeoPoint, _ b: GeoPoint, _ point: GeoPoint) -> Bool {
        point.longitude >= min(a.longitude, b.longitude) && point.longitude <= max(a.longitude, b.longitude)
            && point.latitude >= min(a.latitude, b.latitude) && point.latitude <= max(a.latitude, b.latitude)
    }
}
