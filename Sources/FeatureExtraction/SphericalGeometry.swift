#if canImport(Darwin)
    import Darwin
#else
    import Glibc
#endif

/// Distances and areas on a sphere of radius `SphericalGeometry.earthRadiusKilometres`.
///
/// The radius is 6,371 km, the mean radius that polytope-mars also uses (`haversine_distance`).
package enum SphericalGeometry {
    /// The Earth's mean radius in kilometres.
    package static let earthRadiusKilometres = 6371.0

    static let degreesToRadians = Double.pi / 180
    static let radiansToDegrees = 180 / Double.pi

    /// The great-circle angle between two points, in radians, accurate for tiny and antipodal
    /// separations alike (the haversine form, clamped).
    package static func centralAngle(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        let phi1 = a.latitude * degreesToRadians
        let phi2 = b.latitude * degreesToRadians
        let halfDeltaPhi = (phi2 - phi1) / 2
        let halfDeltaLambda = (b.longitude - a.longitude) * degreesToRadians / 2
        let sinHalfPhi = sin(halfDeltaPhi)
        let sinHalfLambda = sin(halfDeltaLambda)
        let h = sinHalfPhi * sinHalfPhi + cos(phi1) * cos(phi2) * sinHalfLambda * sinHalfLambda
        return 2 * asin(min(1, sqrt(max(0, h))))
    }

    /// The great-circle distance between two points, in degrees of arc.
    package static func angularDistanceDegrees(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        centralAngle(a, b) * radiansToDegrees
    }

    /// The great-circle distance between two points, in kilometres.
    package static func distanceKilometres(_ a: GeoPoint, _ b: GeoPoint) -> Double {
        centralAngle(a, b) * earthRadiusKilometres
    }

    /// The area, in km², of the region of the sphere bounded by a ring whose edges are straight
    /// lines in (longitude, latitude) — the region this engine selects for a polygon or box.
    ///
    /// Exact for that region: by Green's theorem the area element R² cos φ dφ dλ integrates to
    /// R² |∮ sin φ dλ|, and along an edge where φ varies linearly with λ the integral has a closed
    /// form. Longitudes are used as written (no wrapping), so a ring may cross 0° or 180°. A
    /// 1°×1° cell at the equator is 12,364 km²; the box from (0, 0) to (90, 90) is an octant,
    /// πR²/2. The ring may be open or closed; its orientation does not matter.
    package static func latLonRingAreaSquareKilometres(_ ring: [GeoPoint]) -> Double {
        guard ring.count >= 3 else { return 0 }
        var sum = 0.0
        for index in ring.indices {
            let start = ring[index]
            let end = ring[(index + 1) % ring.count]
            sum += edgeIntegral(from: start, to: end)
        }
        return abs(sum) * earthRadiusKilometres * earthRadiusKilometres
    }

    /// ∫ sin φ dλ along the straight (λ, φ) edge from `start` to `end`, in radians.
    private static func edgeIntegral(from start: GeoPoint, to end: GeoPoint) -> Double {
        let lambda1 = start.longitude * degreesToRadians
        let lambda2 = end.longitude * degreesToRadians
        let phi1 = start.latitude * degreesToRadians
        let phi2 = end.latitude * degreesToRadians
        let deltaLambda = lambda2 - lambda1
        if deltaLambda == 0 { return 0 }
        let deltaPhi = phi2 - phi1
        if abs(deltaPhi) < 1e-12 {
            return deltaLambda * sin((phi1 + phi2) / 2)
        }
        // φ = φ1 + (λ - λ1)·Δφ/Δλ, so ∫ sin φ dλ = (Δλ/Δφ)·(cos φ1 − cos φ2).
        return deltaLambda / deltaPhi * (cos(phi1) - cos(phi2))
    }

    /// The area, in km², of a spherical cap: the points within `radiusDegrees` of arc of a centre.
    package static func capAreaSquareKilometres(radiusDegrees: Double) -> Double {
        let angle = min(max(radiusDegrees, 0), 180) * degreesToRadians
        return 2 * Double.pi * earthRadiusKilometres * earthRadiusKilometres * (1 - cos(angle))
    }
}
