import FeatureExtraction

/// Makes the exact bytes of GRIB simple packing for tests: packs integers MSB-first at
/// `bitsPerValue` bits each, and bitmaps MSB-first.
enum SimplePackingEncoder {
    /// The payload holding `packed` values of `bits` bits each, padded to a whole byte.
    static func pack(_ packed: [UInt64], bits: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (packed.count * bits + 7) / 8)
        var bitOffset = 0
        for value in packed {
            for bit in stride(from: bits - 1, through: 0, by: -1) {
                if value >> UInt64(bit) & 1 == 1 { bytes[bitOffset / 8] |= 0x80 >> UInt8(bitOffset % 8) }
                bitOffset += 1
            }
        }
        return bytes
    }

    /// A bitmap of `present` flags.
    static func bitmap(_ present: [Bool]) -> [UInt8] {
        pack(present.map { $0 ? 1 : 0 }, bits: 1)
    }

    /// Packs real values as ecCodes would with the given scale factors: X = round((Y·10^D − R) / 2^E).
    static func quantise(_ values: [Double], reference: Double, binaryScaleFactor: Int, decimalScaleFactor: Int) -> [UInt64] {
        values.map { value in
            var scaled = value
            for _ in 0..<decimalScaleFactor { scaled *= 10 }
            var step = 1.0
            for _ in 0..<abs(binaryScaleFactor) { step *= 2 }
            if binaryScaleFactor < 0 { step = 1 / step }
            return UInt64(((scaled - reference) / step).rounded())
        }
    }
}
