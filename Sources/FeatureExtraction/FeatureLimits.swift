/// Bounds on what one feature may ask for, checked while parsing (polytope-mars'
/// `polygonrules`, applied to every feature type).
package struct FeatureLimits: Hashable, Sendable {
    /// The most points a feature may list: polygon vertices summed over all its polygons (as
    /// polytope-mars' `max_points`), and likewise the points of a position, timeseries,
    /// vertical profile or trajectory.
    package var maxPoints: Int
    /// The largest area in km² a box, polygon (all polygons together), frame or circle may
    /// cover on the sphere (see `SphericalGeometry`); infinity means no limit.
    package var maxAreaSquareKilometres: Double

    package init(maxPoints: Int = 1000, maxAreaSquareKilometres: Double = .infinity) {
        self.maxPoints = maxPoints
        self.maxAreaSquareKilometres = maxAreaSquareKilometres
    }
}
