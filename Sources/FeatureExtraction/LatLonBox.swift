/// A box between two latitudes and two longitudes, boundaries included.
///
/// Longitudes are on the real line, so a box from -3 to 4 crosses 0°; `west <= east` always.
package struct LatLonBox: Hashable, Sendable, CustomStringConvertible {
    package var south: Double
    package var north: Double
    package var west: Double
    package var east: Double

    /// The box spanned by two opposite corners, in either order (as polytope takes a box's
    /// extent from the minimum and maximum of its corners).
    package init(corner first: GeoPoint, corner second: GeoPoint) {
        south = min(first.latitude, second.latitude)
        north = max(first.latitude, second.latitude)
        west = min(first.longitude, second.longitude)
        east = max(first.longitude, second.longitude)
    }

    package init(south: Double, north: Double, west: Double, east: Double) {
        self.south = south
        self.north = north
        self.west = west
        self.east = east
    }

    /// The box's corners as a ring (south-west, south-east, north-east, north-west).
    package var ring: [GeoPoint] {
        [
            GeoPoint(latitude: south, longitude: west), GeoPoint(latitude: south, longitude: east),
            GeoPoint(latitude: north, longitude: east), GeoPoint(latitude: north, longitude: west),
        ]
    }

    package var description: String {
        "latitudes \(GeoPoint.shortText(south)) to \(GeoPoint.shortText(north)), "
            + "longitudes \(GeoPoint.shortText(west)) to \(GeoPoint.shortText(east))"
    }
}
