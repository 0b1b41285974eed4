import FeatureExtraction
import Foundation
import Testing

@Suite("Distances and areas on the sphere")
struct SphericalGeometryTests {
    let radius = SphericalGeometry.earthRadiusKilometres

    @Test func oneDegreeCellAtTheEquator() {
        let cell = LatLonBox(south: 0, north: 1, west: 0, east: 1)
        let area = SphericalGeometry.latLonRingAreaSquareKilometres(cell.ring)
        // R² · Δλ · (sin 1° − sin 0°) = 12,363.7 km².
        #expect(abs(area - 12_363.7) < 1)
        // Orientation and a closing vertex do not matter.
        #expect(abs(SphericalGeometry.latLonRingAreaSquareKilometres(cell.ring.reversed() + [cell.ring[3]]) - area) < 1e-6)
    }

    @Test func octantIsAnEighthOfTheSphere() {
        let octant = LatLonBox(south: 0, north: 90, west: 0, east: 90)
        let area = SphericalGeometry.latLonRingAreaSquareKilometres(octant.ring)
        #expect(abs(area - 4 * Double.pi * radius * radius / 8) < 1e-3)
    }

    @Test func boxAcrossZeroAndHighLatitudes() {
        let across = LatLonBox(south: 60, north: 61, west: -3, east: 4)
        let shifted = LatLonBox(south: 60, north: 61, west: 357, east: 364)
        let a = SphericalGeometry.latLonRingAreaSquareKilometres(across.ring)
        #expect(abs(a - SphericalGeometry.latLonRingAreaSquareKilometres(shifted.ring)) < 1e-6)
        let expected = radius * radius * 7 * Double.pi / 180 * (sin(61 * Double.pi / 180) - sin(60 * Double.pi / 180))
        #expect(abs(a - expected) < 1e-6)
    }

    @Test func triangleIsHalfItsBox() {
        // A right triangle with straight (lat, lon) edges near the equator is about half its box.
        let triangle = [GeoPoint(latitude: 0, longitude: 0), GeoPoint(latitude: 0, longitude: 1), GeoPoint(latitude: 1, longitude: 0)]
        let area = SphericalGeometry.latLonRingAreaSquareKilometres(triangle)
        #expect(abs(area - 12_363.7 / 2) < 2)
    }

    @Test func capArea() {
        #expect(abs(SphericalGeometry.capAreaSquareKilometres(radiusDegrees: 180) - 4 * Double.pi * radius * radius) < 1e-3)
        #expect(abs(SphericalGeometry.capAreaSquareKilometres(radiusDegrees: 90) - 2 * Double.pi * radius * radius) < 1e-3)
    }

    @Test func distances() {
        let a = GeoPoint(latitude: 0, longitude: 359.7)
        let b = GeoPoint(latitude: 0, longitude: 0)
        #expect(abs(SphericalGeometry.angularDistanceDegrees(a, b) - 0.3) < 1e-9)
        #expect(
            abs(SphericalGeometry.angularDistanceDegrees(GeoPoint(latitude: 89, longitude: 0), GeoPoint(latitude: 89, longitude: 180)) - 2) < 1e-9)
        #expect(abs(SphericalGeometry.distanceKilometres(GeoPoint(latitude: 0, longitude: 0), GeoPoint(latitude: 0, longitude: 1)) - 111.195) < 1e-3)
    }
}
