import FeatureExtraction
import Foundation
import PolytopeCore
import Testing

/// Release-mode micro-benchmarks of the targets the product must meet (on O320, 421,120 points):
/// a point timeseries over 1,000 fields in ≤ 50 ms end to end, and a 1,000-vertex polygon over
/// 50 fields in ≤ 200 ms. Run with:
///
///     FEATURE_BENCHMARKS=1 swift test -c release --filter Benchmark
///
/// The engine's share is measured here (geometry, selection, read plans, decoding from bytes in
/// memory, CoverageJSON); reading the bytes from disk is the datasource's.
@Suite("Benchmarks", .serialized, .enabled(if: ProcessInfo.processInfo.environment["FEATURE_BENCHMARKS"] != nil))
struct BenchmarkTests {
    static let grid = GridDescription.octahedral(320)

    /// A field of 16-bit values on the grid, packed (the payload of its data section).
    static func payload(pointCount: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix(seed: seed)
        return (0..<(pointCount * 2)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func keys(step: Int, param: String) -> [String: String] {
        [
            "class": "od", "date": "20250101", "time": "0000", "domain": "g", "expver": "0001", "levtype": "sfc", "stream": "oper", "type": "fc",
            "param": param, "step": String(step),
        ]
    }

    @Test func pointTimeseriesOverAThousandFields() throws {
        let clock = ContinuousClock()
        let packing = SimplePacking(
            referenceValue: 250, binaryScaleFactor: -6, decimalScaleFactor: 0, bitsPerValue: 16, numberOfPackedValues: 421_120)
        let payload = Self.payload(pointCount: 421_120, seed: 1)
        var geometryTime = Duration.zero
        var total = Duration.zero
        var output = 0
        for _ in 0..<5 {
            let start = clock.now
            let geometry = try GridGeometry(Self.grid)
            geometryTime = clock.now - start
            let feature = try FeatureParser.parse(
                .object(["type": .string("timeseries"), "points": .array([.array([.number(51.5), .number(-0.12)])]), "time_axis": .string("step")]),
                context: FeatureRequestContext(marsText: ["step": "0/to/999"]))
            let selection = try GridSelector.select(feature.shape, on: geometry)
            let fields = (0..<1000).map { Self.keys(step: $0, param: "167") }
            let plan = try CoveragePlan(layout: feature.layout, fields: fields)
            var writer = CoverageJSONWriter(plan: plan)
            for number in 0..<1000 {
                let readPlan = try PackedValueReadPlan(packing: packing, pointIndices: selection.indices)
                let chunks = readPlan.ranges.map { Array(payload[$0.offset..<$0.end]) }
                let values = try readPlan.decode(chunks: chunks)
                output += try writer.append(ExtractedField(fieldNumber: number, selection: selection, values: values)).count
            }
            output += try writer.finish().count
            total = clock.now - start
        }
        print(
            "benchmark: O320 geometry \(Self.milliseconds(geometryTime)) ms; point timeseries, 1000 fields, end to end \(Self.milliseconds(total)) ms (\(output / 5) bytes)"
        )
        #expect(Self.milliseconds(total - geometryTime) < 50)
    }

    @Test(arguments: [("Europe", 50.0, 8.0...15.0), ("continent", 30.0, 20.0...50.0)])
    func thousandVertexPolygonOverFiftyFields(name: String, centre: Double, radii: ClosedRange<Double>) throws {
        let clock = ContinuousClock()
        let geometry = try GridGeometry(Self.grid)
        // A star-shaped, concave 1,000-vertex polygon.
        var generator = SplitMix(seed: 3)
        let ring = (0..<1000).map { vertex -> [Double] in
            let angle = 2 * Double.pi * Double(vertex) / 1000
            let radius = generator.next(in: radii)
            return [centre + radius * sin(angle), 10 + 1.5 * radius * cos(angle)]
        }
        let feature = try FeatureParser.parse(
            .object(["type": .string("polygon"), "shape": .array(ring.map { .array($0.map { .number($0) }) })]), context: .init())
        var selectionTime = Duration.zero
        var total = Duration.zero
        var count = 0
        var output = 0
        let packing = SimplePacking(
            referenceValue: 250, binaryScaleFactor: -6, decimalScaleFactor: 0, bitsPerValue: 16, numberOfPackedValues: 421_120)
        let payload = Self.payload(pointCount: 421_120, seed: 2)
        for _ in 0..<5 {
            let start = clock.now
            let selection = try GridSelector.select(feature.shape, on: geometry)
            selectionTime = clock.now - start
            count = selection.count
            let fields = (0..<50).map { Self.keys(step: $0 / 2 * 6, param: $0 % 2 == 0 ? "167" : "151") }
            let plan = try CoveragePlan(layout: feature.layout, fields: fields)
            var writer = CoverageJSONWriter(plan: plan)
            output = 0
            for number in plan.suggestedFieldOrder {
                let readPlan = try PackedValueReadPlan(packing: packing, pointIndices: selection.indices)
                let chunks = readPlan.ranges.map { Array(payload[$0.offset..<$0.end]) }
                let values = try readPlan.decode(chunks: chunks)
                output += try writer.append(ExtractedField(fieldNumber: number, selection: selection, values: values)).count
            }
            output += try writer.finish().count
            total = clock.now - start
        }
        print(
            "benchmark: 1000-vertex polygon (\(name)) on O320 selects \(count) points in \(Self.milliseconds(selectionTime)) ms; over 50 fields end to end \(Self.milliseconds(total)) ms (\(output) bytes)"
        )
        #expect(Self.milliseconds(selectionTime) < 50)
        if name == "Europe" { #expect(Self.milliseconds(total) < 200) }
    }

    @Test func nearestPointQueries() throws {
        let clock = ContinuousClock()
        let geometry = try GridGeometry(Self.grid)
        var generator = SplitMix(seed: 9)
        let points = (0..<100_000).map { _ in GeoPoint(latitude: generator.next(in: -90...90), longitude: generator.next(in: -180...360)) }
        let start = clock.now
        var checksum = 0
        for point in points { checksum &+= geometry.nearestPoint(to: point)?.index ?? 0 }
        let elapsed = clock.now - start
        print("benchmark: 100,000 nearest-point queries on O320 in \(Self.milliseconds(elapsed)) ms (checksum \(checksum))")
        #expect(Self.milliseconds(elapsed) < 1000)
    }
}
