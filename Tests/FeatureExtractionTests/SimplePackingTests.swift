import FeatureExtraction
import Foundation
import Testing

@Suite("Simple packing: read plans and decoding")
struct SimplePackingTests {
    @Test func handMadeBitPatterns() throws {
        // Three 12-bit values 0xABC, 0x123, 0xFFF: bytes AB C1 23 FF F0 (last nibble padding).
        let payload: [UInt8] = [0xAB, 0xC1, 0x23, 0xFF, 0xF0]
        #expect(SimplePackingEncoder.pack([0xABC, 0x123, 0xFFF], bits: 12) == payload)
        let packing = SimplePacking(referenceValue: 0, binaryScaleFactor: 0, decimalScaleFactor: 0, bitsPerValue: 12, numberOfPackedValues: 3)
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: [2, 0, 1])
        #expect(try plan.decode(payload: payload) == [0xFFF, 0xABC, 0x123])
        #expect(plan.ranges == [ByteRange(offset: 0, length: 5)])
        // Only the second value: bits 12..<24 are bytes 1 and 2.
        let second = try PackedValueReadPlan(packing: packing, pointIndices: [1], mergeGap: 0)
        #expect(second.ranges == [ByteRange(offset: 1, length: 2)])
        #expect(try second.decode(chunks: [[0xC1, 0x23]]) == [0x123])
    }

    @Test func scaling() throws {
        // Y = (R + X·2^E) / 10^D with R = 2731.5, E = -2, D = 1: X = 10 gives (2731.5 + 2.5) / 10 = 273.4.
        let packing = SimplePacking(referenceValue: 2731.5, binaryScaleFactor: -2, decimalScaleFactor: 1, bitsPerValue: 8, numberOfPackedValues: 2)
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: [0, 1])
        let values = try plan.decode(payload: [10, 0])
        #expect(values == [(10 * 0.25 + 2731.5) * (1 / 10.0), 2731.5 * 0.1])
        #expect(abs(values[0]! - 273.4) < 1e-12)
    }

    @Test(arguments: [1, 3, 7, 8, 11, 13, 16, 17, 24, 25, 31, 32])
    func oddBitWidthsRoundTrip(bits: Int) throws {
        var generator = SplitMix(seed: UInt64(bits))
        let count = 1000
        let maximum: UInt64 = bits == 64 ? .max : (1 << UInt64(bits)) - 1
        let packed = (0..<count).map { _ in generator.next() & maximum }
        let payload = SimplePackingEncoder.pack(packed, bits: bits)
        let packing = SimplePacking(referenceValue: -5, binaryScaleFactor: 3, decimalScaleFactor: 2, bitsPerValue: bits, numberOfPackedValues: count)
        let indices = (0..<60).map { _ in Int(generator.next() % UInt64(count)) }
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: indices, mergeGap: 4)
        let chunks = plan.ranges.map { Array(payload[$0.offset..<$0.end]) }
        let values = try plan.decode(chunks: chunks)
        for (index, value) in zip(indices, values) {
            #expect(value == (Double(packed[index]) * 8 - 5) * (1 / 100.0))
        }
        #expect(try plan.decode(payload: payload) == values)
        // Ranges are disjoint, ascending and cover every value's bits.
        for (a, b) in zip(plan.ranges, plan.ranges.dropFirst()) { #expect(a.end + 4 < b.offset) }
        #expect(plan.byteCount <= payload.count)
    }

    @Test func bitmapSkipsMissingPoints() throws {
        var generator = SplitMix(seed: 7)
        let pointCount = 1000
        let present = (0..<pointCount).map { _ in generator.next() % 3 != 0 }
        let presentCount = present.filter { $0 }.count
        let values = (0..<presentCount).map { UInt64($0 % 4096) }
        let payload = SimplePackingEncoder.pack(values, bits: 13)
        let bitmap = try BitmapIndex(bytes: SimplePackingEncoder.bitmap(present), pointCount: pointCount)
        #expect(bitmap.presentCount == presentCount)
        let packing = SimplePacking(
            referenceValue: 0, binaryScaleFactor: 0, decimalScaleFactor: 0, bitsPerValue: 13, numberOfPackedValues: presentCount)
        let indices = Array(0..<pointCount)
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: indices, bitmap: bitmap)
        let decoded = try plan.decode(chunks: plan.ranges.map { Array(payload[$0.offset..<$0.end]) })
        var position = 0
        for index in indices {
            if present[index] {
                #expect(decoded[index] == Double(position % 4096))
                position += 1
            } else {
                #expect(decoded[index] == nil)
            }
        }
    }

    @Test func bitmapPrefixCountsAcrossWords() throws {
        // 130 points: all present except 0, 64 and 129.
        var present = [Bool](repeating: true, count: 130)
        for missing in [0, 64, 129] { present[missing] = false }
        let bitmap = try BitmapIndex(bytes: SimplePackingEncoder.bitmap(present), pointCount: 130)
        #expect(bitmap.packedPosition(ofPoint: 0) == nil)
        #expect(bitmap.packedPosition(ofPoint: 1) == 0)
        #expect(bitmap.packedPosition(ofPoint: 63) == 62)
        #expect(bitmap.packedPosition(ofPoint: 64) == nil)
        #expect(bitmap.packedPosition(ofPoint: 65) == 63)
        #expect(bitmap.packedPosition(ofPoint: 128) == 126)
        #expect(bitmap.packedPosition(ofPoint: 129) == nil)
        #expect(bitmap.presentCount == 127)
        #expect(throws: SimplePackingError.self) { try BitmapIndex(bytes: [0xFF], pointCount: 9) }
    }

    @Test func referenceValueAsGribStoresIt() throws {
        // 273.15 is not a float: R is the single nearest to it, widened exactly.
        let packing = SimplePacking(
            float32ReferenceValue: Float(273.15), binaryScaleFactor: 0, decimalScaleFactor: 0, bitsPerValue: 0, numberOfPackedValues: 1)
        #expect(packing.referenceValue == Double(Float(273.15)) && packing.referenceValue != 273.15)
        #expect(BitmapIndex.byteRange(pointCount: 421_120) == ByteRange(offset: 0, length: 52_640))
    }

    @Test func constantField() throws {
        let packing = SimplePacking(referenceValue: 101_325, binaryScaleFactor: 0, decimalScaleFactor: 0, bitsPerValue: 0, numberOfPackedValues: 50)
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: [0, 49, 7])
        #expect(plan.ranges.isEmpty)
        #expect(try plan.decode(chunks: []) == [101_325, 101_325, 101_325])
    }

    @Test func quantisedFieldMatchesItsSource() throws {
        // An analytic field packed at 16 bits decodes to within half a quantum.
        let geometry = try GridGeometry(.octahedral(32))
        let field = (0..<geometry.pointCount).map { index -> Double in
            let point = geometry.coordinates(ofIndex: index)!
            let zonal: Double = 30 * cos(point.latitude * Double.pi / 180)
            let wave: Double = 5 * sin(point.longitude * Double.pi / 90)
            return 273.15 + zonal + wave
        }
        let reference = (field.min()! * 10).rounded(.down)
        let packed = SimplePackingEncoder.quantise(field, reference: reference, binaryScaleFactor: -3, decimalScaleFactor: 1)
        let payload = SimplePackingEncoder.pack(packed, bits: 16)
        let packing = SimplePacking(
            referenceValue: reference, binaryScaleFactor: -3, decimalScaleFactor: 1, bitsPerValue: 16, numberOfPackedValues: geometry.pointCount)
        let selection = try GridSelector.select(.boxes([LatLonBox(south: 40, north: 60, west: -10, east: 20)]), on: geometry)
        let plan = try PackedValueReadPlan(packing: packing, pointIndices: selection.indices)
        let values = try plan.decode(chunks: plan.ranges.map { Array(payload[$0.offset..<$0.end]) })
        for (index, value) in zip(selection.indices, values) {
            #expect(abs(value! - field[index]) <= 0.125 / 10 / 2 + 1e-9)
        }
        #expect(plan.byteCount < payload.count / 4)
    }

    @Test func badInputsAreErrors() throws {
        let packing = SimplePacking(referenceValue: 0, binaryScaleFactor: 0, decimalScaleFactor: 0, bitsPerValue: 40, numberOfPackedValues: 3)
        #expect(throws: SimplePackingError("bitsPerValue 40 is not supported (0 to 32)")) {
            try PackedValueReadPlan(packing: packing, pointIndices: [0])
        }
        var fine = packing
        fine.bitsPerValue = 8
        #expect(throws: SimplePackingError("point index 3 is outside the field's 3 points")) {
            try PackedValueReadPlan(packing: fine, pointIndices: [3])
        }
        let plan = try PackedValueReadPlan(packing: fine, pointIndices: [0])
        #expect(throws: SimplePackingError.self) { try plan.decode(chunks: []) }
        #expect(throws: SimplePackingError.self) { try plan.decode(chunks: [[]]) }
    }
}
