/// What a feature cuts out of each field, in geographic terms.
package enum FeatureShape: Hashable, Sendable {
    /// The grid point nearest (great-circle distance) to each point, one answer per point in
    /// request order (position, timeseries, verticalprofile).
    case nearestPoints([GeoPoint])
    /// The grid points inside any of the boxes, boundaries included (boundingbox; a frame is the
    /// four boxes polytope-mars makes of it).
    case boxes([LatLonBox])
    /// The grid points inside any of the polygons, boundaries included; edges are straight in
    /// (latitude, longitude) as in polytope. Rings are open (the closing vertex removed).
    case polygons([[GeoPoint]])
    /// The grid points within `radiusDegrees` degrees of arc (great-circle distance) of the
    /// centre, boundary included.
    case circle(center: GeoPoint, radiusDegrees: Double)
    /// The grid points within the inflation around the path.
    case trajectory(Trajectory)
}
