import FeatureExtraction
import Foundation
import Testing

/// End to end on analytic fields (value = f(lat, lon)): selection, read plan and decoding give,
/// at every selected point, the field's value at that point's coordinates — on every grid kind.
@Suite("Analytic fields on every grid")
struct AnalyticFieldTests {
    /// A smooth field, periodic in longitude.
    static func field(_ point: GeoPoint) -> Double {
        let zonal: Double = 40 * cos(point.latitude * Double.pi / 180)
        let wave: Double = 7 * sin(point.longitude * Double.pi / 60) * cos(point.latitude * Double.pi / 90)
        return 250 + zonal + wave
    }

    /// The field packed at 16 bits (E = -8, D = 0): big-endian 16-bit integers.
    static func packed(_ geometry: GridGeometry) -> (SimplePacking, [UInt8]) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(geometry.pointCount * 2)
        for index in 0..<geometry.pointCount {
            let value = field(geometry.coordinates(ofIndex: index)!)
            let x = UInt16(((value - 200) * 256).rounded())
            bytes.append(UInt8(x >> 8))
            bytes.append(UInt8(x & 0xFF))
        }
        let packing = SimplePacking(
            referenceValue: 200, binaryScaleFactor: -8, decimalScaleFactor: 0, bitsPerValue: 16, numberOfPackedValues: geometry.pointCount)
        return (packing, bytes)
    }

    static let grids: [String: GridDescription] = [
        "0.25 global": .globalLatLon(increment: 0.25), "1 global": .globalLatLon(increment: 1),
        "0.1 area": .regularLatLon(north: 60, west: -10, south: 35, east: 30, increment: 0.1), "O32": .octahedral(32), "O320": .octahedral(320),
        "F48": .regularGaussian(48),
    ]

    static let shapes: [FeatureShape] = [
        .nearestPoints([
            GeoPoint(latitude: 51.48, longitude: -0.01), GeoPoint(latitude: 45.1, longitude: 7.7), GeoPoint(latitude: 51.5, longitude: 359.99),
        ]),
        .boxes([LatLonBox(south: 44, north: 47, west: -3, east: 4)]),
        .polygons([[(40.0, 0.0), (50, 5), (40, 10), (45, 5)].map { GeoPoint(latitude: $0.0, longitude: $0.1) }]),
        .circle(center: GeoPoint(latitude: 48, longitude: 2), radiusDegrees: 2),
    ]

    @Test(arguments: ["0.25 global", "1 global", "0.1 area", "O32", "O320", "F48"])
    func valuesAreTheFieldAtTheSelectedPoints(gridName: String) throws {
        let geometry = try GridGeometry(Self.grids[gridName]!)
        let (packing, payload) = Self.packed(geometry)
        for shape in Self.shapes {
            let selection = try GridSelector.select(shape, on: geometry)
            #expect(!selection.isEmpty, "\(gridName) \(shape)")
            let plan = try PackedValueReadPlan(packing: packing, pointIndices: selection.indices)
            let values = try plan.decode(chunks: plan.ranges.map { Array(payload[$0.offset..<$0.end]) })
            for entry in 0..<selection.count {
                let expected = Self.field(GeoPoint(latitude: selection.latitudes[entry], longitude: selection.longitudes[entry]))
                #expect(abs(values[entry]! - expected) <= 1.0 / 512 + 1e-9, "\(gridName) entry \(entry)")
            }
            if case .nearestPoints(let points) = shape {
                // Each answer is within half a grid diagonal of its requested point.
                for (entry, point) in points.enumerated() {
                    let answer = GeoPoint(latitude: selection.latitudes[entry], longitude: selection.longitudes[entry])
                    #expect(SphericalGeometry.angularDistanceDegrees(point, answer) < 1.5, "\(gridName) \(point)")
                }
            }
        }
    }
}
