/// How a feature's answer is laid out in CoverageJSON, following covjsonkit's encoder for the
/// feature type.
package enum CoverageLayout: Hashable, Sendable {
    /// `PointSeries` (timeseries): one coverage per requested point and combination of the
    /// other keys; the `t` axis runs over the time axis (`step`, or `date` for date series).
    case pointSeries(timeAxis: TimeAxis)
    /// `PointSeries` as covjsonkit's Position encoder writes it (position).
    case position
    /// `VerticalProfile`: one coverage per point, date, number and step; values over levels.
    case verticalProfile
    /// `MultiPoint`: one coverage per date, number and step holding every selected point in a
    /// `composite` axis whose tuple coordinates are `coordinateNames` (covjsonkit writes
    /// latitude/longitude/levelist for boxes and circles, x/y/z for polygons and frames).
    case multiPoint(coordinateNames: [String])
    /// `Trajectory`: one coverage per date and number; a `composite` axis of (t, x, y, z) tuples,
    /// t being the step.
    case trajectory

    /// The axis a timeseries runs along.
    package enum TimeAxis: String, Hashable, Sendable {
        case step
        case date
    }

    /// The CoverageJSON `domainType`.
    package var domainType: String {
        switch self {
        case .pointSeries, .position: "PointSeries"
        case .verticalProfile: "VerticalProfile"
        case .multiPoint: "MultiPoint"
        case .trajectory: "Trajectory"
        }
    }
}
