#if canImport(Darwin)
    import Darwin
#else
    import Glibc
#endif

/// A point of the unit sphere as a 3-D vector, for great-circle arithmetic.
struct UnitVector: Hashable, Sendable {
    var x: Double
    var y: Double
    var z: Double

    init(x: Double, y: Double, z: Double) {
        self.x = x
        self.y = y
        self.z = z
    }

    init(_ point: GeoPoint) {
        let phi = point.latitude * SphericalGeometry.degreesToRadians
        let lambda = point.longitude * SphericalGeometry.degreesToRadians
        self.init(x: cos(phi) * cos(lambda), y: cos(phi) * sin(lambda), z: sin(phi))
    }

    /// The position, with the longitude moved by whole turns to lie nearest `nearLongitude`.
    func geoPoint(nearLongitude: Double) -> GeoPoint {
        let latitude = atan2(z, (x * x + y * y).squareRoot()) * SphericalGeometry.radiansToDegrees
        var longitude = atan2(y, x) * SphericalGeometry.radiansToDegrees
        longitude -= 360 * ((longitude - nearLongitude) / 360).rounded()
        return GeoPoint(latitude: latitude, longitude: longitude)
    }

    func dot(_ other: UnitVector) -> Double { x * other.x + y * other.y + z * other.z }

    func cross(_ other: UnitVector) -> UnitVector {
        UnitVector(x: y * other.z - z * other.y, y: z * other.x - x * other.z, z: x * other.y - y * other.x)
    }

    var length: Double { (x * x + y * y + z * z).squareRoot() }

    func scaled(_ factor: Double) -> UnitVector { UnitVector(x: x * factor, y: y * factor, z: z * factor) }

    func plus(_ other: UnitVector) -> UnitVector { UnitVector(x: x + other.x, y: y + other.y, z: z + other.z) }

    var normalised: UnitVector { scaled(1 / length) }

    /// The angle to another unit vector, in radians (stable for small and large angles).
    func angle(to other: UnitVector) -> Double { atan2(cross(other).length, dot(other)) }

    /// The point a fraction `t` of the way along the great-circle arc to `other`.
    func interpolated(to other: UnitVector, fraction t: Double) -> UnitVector {
        let omega = angle(to: other)
        if omega < 1e-12 { return self }
        let sinOmega = sin(omega)
        return scaled(sin((1 - t) * omega) / sinOmega).plus(other.scaled(sin(t * omega) / sinOmega)).normalised
    }

    /// The angle (radians) from this point to the great-circle arc from `start` to `end`.
    func angle(toArcFrom start: UnitVector, to end: UnitVector) -> Double {
        let normal = start.cross(end)
        let normalLength = normal.length
        if normalLength < 1e-15 { return min(angle(to: start), angle(to: end)) }
        let unitNormal = normal.scaled(1 / normalLength)
        let offPlane = dot(unitNormal)
        let projected = plus(unitNormal.scaled(-offPlane))
        // The foot of the perpendicular is on the arc when it lies between start and end.
        if projected.length > 1e-15, start.cross(projected).dot(unitNormal) >= 0, projected.cross(end).dot(unitNormal) >= 0 {
            return asin(min(1, abs(offPlane)))
        }
        return min(angle(to: start), angle(to: end))
    }
}
