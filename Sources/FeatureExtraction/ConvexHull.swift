/// The convex hull of points in the (longitude, latitude) plane.
enum ConvexHull {
    /// The hull's vertices in counter-clockwise order (Andrew's monotone chain); collinear and
    /// repeated points dropped. Fewer than three points come back as they are (deduplicated).
    static func of(_ points: [GeoPoint]) -> [GeoPoint] {
        let sorted = Set(points).sorted { ($0.longitude, $0.latitude) < ($1.longitude, $1.latitude) }
        guard sorted.count >= 3 else { return sorted }
        var lower: [GeoPoint] = []
        for point in sorted {
            while lower.count >= 2, PolygonRing.orientation(lower[lower.count - 2], lower[lower.count - 1], point) <= 0 { lower.removeLast() }
            lower.append(point)
        }
        var upper: [GeoPoint] = []
        for point in sorted.reversed() {
            while upper.count >= 2, PolygonRing.orientation(upper[upper.count - 2], upper[upper.count - 1], point) <= 0 { upper.removeLast() }
            upper.append(point)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }
}
