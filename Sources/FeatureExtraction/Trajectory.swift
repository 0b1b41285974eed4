/// A path through the data: waypoints joined by straight segments, with an inflation around it.
package struct Trajectory: Hashable, Sendable {
    /// One waypoint: a position and, when the feature's `axes` name them, a level and a step.
    package struct Waypoint: Hashable, Sendable {
        package var point: GeoPoint
        package var level: Double?
        package var step: Double?

        package init(point: GeoPoint, level: Double? = nil, step: Double? = nil) {
            self.point = point
            self.level = level
            self.step = step
        }
    }

    /// The shape swept along the path (`inflate`).
    package enum Inflate: String, Hashable, Sendable {
        /// Grid points within `Inflation.radius` degrees of arc (great-circle distance) of the path.
        case round
        /// Grid points within a latitude/longitude box centred on some point of the path, whose
        /// half-widths are the inflation's latitude and longitude values (degrees), with
        /// segments straight in (latitude, longitude).
        case box
    }

    /// How far around the path grid points are taken, per axis (`inflation`).
    package struct Inflation: Hashable, Sendable {
        package var latitude: Double
        package var longitude: Double
        /// Half-width in level units around the path's interpolated level (3-D and 4-D paths).
        package var level: Double
        /// Half-width in hours around the path's interpolated step (4-D paths, or 3-D with step).
        package var step: Double

        package init(latitude: Double, longitude: Double, level: Double = 0, step: Double = 0) {
            self.latitude = latitude
            self.longitude = longitude
            self.level = level
            self.step = step
        }

        /// For `round`: the radius in degrees of arc (latitude and longitude inflations are equal).
        package var radius: Double { latitude }
    }

    package var waypoints: [Waypoint]
    package var inflate: Inflate
    package var inflation: Inflation

    package init(waypoints: [Waypoint], inflate: Inflate, inflation: Inflation) {
        self.waypoints = waypoints
        self.inflate = inflate
        self.inflation = inflation
    }

    /// Whether waypoints carry levels (a 3-D or 4-D path), so each level selects its own points.
    package var hasLevels: Bool { waypoints.first?.level != nil }
    /// Whether waypoints carry steps, so each step selects its own points.
    package var hasSteps: Bool { waypoints.first?.step != nil }
}
