import Foundation
import PolytopeCore
import Testing

@testable import FeatureExtraction

@Suite("Polygon rings")
struct PolygonRingTests {
    @Test("the sweep finds the crossings of a brute-force comparison of every pair of edges")
    func sweepAgreesWithEveryPair() {
        var generator = SplitMix(seed: 7)
        for _ in 0..<300 {
            let count = 4 + Int(generator.next() % 9)
            // Coarse coordinates, so that touching vertices and collinear edges occur too.
            let ring = (0..<count).map { _ in
                GeoPoint(latitude: Double(generator.next() % 7), longitude: Double(generator.next() % 7))
            }
            let found = PolygonRing.selfCrossings(ring, limit: .max)
            let expected = Self.bruteForce(ring)
            #expect(Set(found) == expected, "\(ring)")
            #expect(found == found.sorted(by: PolygonRing.Crossing.inEdgeOrder))
            let first3 = PolygonRing.selfCrossings(ring)
            #expect(first3.count == min(3, expected.count) && Set(first3).isSubset(of: expected), "\(ring)")
        }
    }

    @Test("a simple polygon of many vertices has no crossing; one dent across it has")
    func largeRing() {
        let count = 20_000
        var ring = (0..<count).map { index -> GeoPoint in
            let angle = Double(index) / Double(count) * 2 * .pi
            let radius = 10 + 0.5 * sin(angle * 37)
            return GeoPoint(latitude: 45 + radius * sin(angle), longitude: 10 + radius * cos(angle))
        }
        #expect(PolygonRing.selfCrossings(ring).isEmpty)
        ring[count / 2] = GeoPoint(latitude: 45, longitude: 25)  // pulled out through the far side
        #expect(!PolygonRing.selfCrossings(ring).isEmpty)
    }

    /// Every pair of edges, compared one by one (neighbours only when they fold back).
    static func bruteForce(_ ring: [GeoPoint]) -> Set<PolygonRing.Crossing> {
        let count = ring.count
        var crossings: Set<PolygonRing.Crossing> = []
        for first in 0..<count {
            for second in (first + 1)..<count {
                let (a1, a2) = (ring[first], ring[(first + 1) % count])
                let (b1, b2) = (ring[second], ring[(second + 1) % count])
                if second == first + 1 || (first == 0 && second == count - 1) {
                    let shared = second == first + 1 ? a2 : a1
                    let otherA = second == first + 1 ? a1 : a2
                    let otherB = second == first + 1 ? b2 : b1
                    let dot =
                        (otherA.longitude - shared.longitude) * (otherB.longitude - shared.longitude)
                        + (otherA.latitude - shared.latitude) * (otherB.latitude - shared.latitude)
                    if PolygonRing.orientation(otherA, shared, otherB) == 0, dot > 0 {
                        crossings.insert(.init(firstEdge: first, secondEdge: second, point: shared))
                    }
                } else if let point = PolygonRing.intersection(a1, a2, b1, b2) {
                    crossings.insert(.init(firstEdge: first, secondEdge: second, point: point))
                }
            }
        }
        return crossings
    }
}
