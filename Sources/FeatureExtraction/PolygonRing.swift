/// Checks on a polygon's ring, in the (longitude, latitude) plane its edges are straight in.
enum PolygonRing {
    /// Where two edges of a ring meet although they are not neighbours (or neighbours fold back
    /// on each other): the indices of the edges' first vertices and a point they share.
    struct Crossing: Hashable {
        var firstEdge: Int
        var secondEdge: Int
        var point: GeoPoint

        static func inEdgeOrder(_ lhs: Crossing, _ rhs: Crossing) -> Bool {
            (lhs.firstEdge, lhs.secondEdge) < (rhs.firstEdge, rhs.secondEdge)
        }
    }

    /// The ring without its closing vertex (when the last repeats the first) and without
    /// consecutive repeated vertices.
    static func normalised(_ points: [GeoPoint]) -> [GeoPoint] {
        var ring: [GeoPoint] = []
        for point in points where ring.last != point { ring.append(point) }
        while ring.count > 1, ring.first == ring.last { ring.removeLast() }
        return ring
    }

    /// Up to `limit` places where the ring touches or crosses itself, in edge order; empty for
    /// a simple polygon. A sweep over the edges in order of their westernmost longitude
    /// compares only edges whose boxes overlap, so a ring of n edges costs about n log n
    /// unless many edges span most of its width.
    static func selfCrossings(_ ring: [GeoPoint], limit: Int = 3) -> [Crossing] {
        let count = ring.count
        guard count >= 3 else { return [] }
        let boxes = (0..<count).map { index -> EdgeBox in
            let a = ring[index]
            let b = ring[(index + 1) % count]
            return EdgeBox(
                minX: min(a.longitude, b.longitude), maxX: max(a.longitude, b.longitude),
                minY: min(a.latitude, b.latitude), maxY: max(a.latitude, b.latitude))
        }
        var crossings: [Crossing] = []
        // Edges whose box may still overlap those to come: none ends west of the current one's start.
        var active: [Int] = []
        for edge in (0..<count).sorted(by: { boxes[$0].minX < boxes[$1].minX }) {
            let box = boxes[edge]
            active.removeAll { boxes[$0].maxX < box.minX }
            for other in active where boxes[other].minY <= box.maxY && box.minY <= boxes[other].maxY {
                guard let crossing = crossing(between: min(edge, other), and: max(edge, other), of: ring) else { continue }
                crossings.append(crossing)
                if crossings.count >= limit { return crossings.sorted(by: Crossing.inEdgeOrder) }
            }
            active.append(edge)
        }
        return crossings.sorted(by: Crossing.inEdgeOrder)
    }

    /// An edge's bounding box in the (longitude, latitude) plane.
    private struct EdgeBox {
        var minX, maxX, minY, maxY: Double
    }

    /// Where edges `first` and `second` (first < second) fault: a shared point if they are not
    /// neighbours, or the shared vertex if neighbours fold back along each other.
    private static func crossing(between first: Int, and second: Int, of ring: [GeoPoint]) -> Crossing? {
        let count = ring.count
        let a1 = ring[first]
        let a2 = ring[(first + 1) % count]
        let b1 = ring[second]
        let b2 = ring[(second + 1) % count]
        if second == first + 1 || (first == 0 && second == count - 1) {
            let shared = second == first + 1 ? a2 : a1
            let otherA = second == first + 1 ? a1 : a2
            let otherB = second == first + 1 ? b2 : b1
            guard orientation(otherA, shared, otherB) == 0, dot(otherA, shared, otherB) > 0 else { return nil }
            return Crossing(firstEdge: first, secondEdge: second, point: shared)
        }
        return intersection(a1, a2, b1, b2).map { Crossing(firstEdge: first, secondEdge: second, point: $0) }
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
