#if canImport(Darwin)
    import Darwin
#else
    import Glibc
#endif

/// A spherical cap: the points within `radiusDegrees` of arc of `center`, boundary included.
///
/// On a row at latitude φ the cap is one longitude interval [λc − Δ, λc + Δ], where
/// cos Δ = (cos r − sin φ sin φc) / (cos φ cos φc); rows through a pole cap are whole.
struct CircleRegion: GridRegion {
    var center: GeoPoint
    var radiusDegrees: Double

    var latitudeBounds: ClosedRange<Double> {
        max(-90, center.latitude - radiusDegrees) - boundaryTolerance...min(90, center.latitude + radiusDegrees) + boundaryTolerance
    }

    func longitudeIntervals(atLatitude latitude: Double) -> [ClosedRange<Double>] {
        let toRadians = SphericalGeometry.degreesToRadians
        let phi = latitude * toRadians
        let centerPhi = center.latitude * toRadians
        // Widen by the boundary tolerance so points on the circle stay in.
        let cosRadius = cos(radiusDegrees * toRadians + boundaryTolerance * toRadians)
        let denominator = cos(phi) * cos(centerPhi)
        let numerator = cosRadius - sin(phi) * sin(centerPhi)
        if denominator < 1e-15 {
            // The row or the centre is at a pole: every point of the row is at the same distance.
            return numerator <= 0 ? [center.longitude - 180...center.longitude + 180] : []
        }
        let ratio = numerator / denominator
        if ratio > 1 { return [] }
        if ratio <= -1 { return [center.longitude - 180...center.longitude + 180] }
        let halfWidth = acos(ratio) * SphericalGeometry.radiansToDegrees
        return [center.longitude - halfWidth...center.longitude + halfWidth]
    }
}
