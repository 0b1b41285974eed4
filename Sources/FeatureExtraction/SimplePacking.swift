/// The parameters of GRIB simple packing (`grid_simple`), as ecCodes reports them.
///
/// A packed value X (an unsigned `bitsPerValue`-bit big-endian integer) decodes to
/// Y = (R + X·2^E) / 10^D, computed as ecCodes does: `(X · 2^E + R) · (1 / 10^D)`.
package struct SimplePacking: Hashable, Sendable, Codable {
    /// R, `referenceValue` (an IEEE single in GRIB 2, IBM in GRIB 1: pass the decoded value).
    package var referenceValue: Double
    /// E, `binaryScaleFactor`.
    package var binaryScaleFactor: Int
    /// D, `decimalScaleFactor`.
    package var decimalScaleFactor: Int
    /// n, `bitsPerValue` (0 to 32; 0 is a constant field whose every value is R / 10^D).
    package var bitsPerValue: Int
    /// The values in the data section: the grid's points, or with a bitmap the points present.
    package var numberOfPackedValues: Int

    package init(referenceValue: Double, binaryScaleFactor: Int, decimalScaleFactor: Int, bitsPerValue: Int, numberOfPackedValues: Int) {
        self.referenceValue = referenceValue
        self.binaryScaleFactor = binaryScaleFactor
        self.decimalScaleFactor = decimalScaleFactor
        self.bitsPerValue = bitsPerValue
        self.numberOfPackedValues = numberOfPackedValues
    }

    /// The parameters with R given as GRIB 2 stores it: an IEEE 754 single (`Float`), widened
    /// exactly to a `Double` as ecCodes does.
    package init(
        float32ReferenceValue referenceValue: Float, binaryScaleFactor: Int, decimalScaleFactor: Int, bitsPerValue: Int, numberOfPackedValues: Int
    ) {
        self.init(
            referenceValue: Double(referenceValue), binaryScaleFactor: binaryScaleFactor, decimalScaleFactor: decimalScaleFactor,
            bitsPerValue: bitsPerValue, numberOfPackedValues: numberOfPackedValues)
    }

    /// The bytes the packed values take (the data section's payload may be padded beyond).
    package var packedByteCount: Int { (numberOfPackedValues * bitsPerValue + 7) / 8 }

    /// 2^E, exactly.
    var binaryScale: Double { Self.power(2, binaryScaleFactor) }

    /// 1 / 10^D, as ecCodes' `grib_power(-D, 10)` computes it.
    var decimalScale: Double { Self.power(10, -decimalScaleFactor) }

    /// The value of packed integer `x`.
    package func value(ofPacked x: UInt64) -> Double {
        (Double(x) * binaryScale + referenceValue) * decimalScale
    }

    /// baseⁿ by repeated multiplication (exact for powers of two and for 10ⁿ up to 10²²),
    /// 1/base⁻ⁿ for negative n, as ecCodes' grib_power.
    static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        if exponent >= 0 {
            for _ in 0..<exponent { result *= base }
            return result
        }
        for _ in 0..<(-exponent) { result *= base }
        return 1 / result
    }

    /// Checks the parameters are ones this decoder reads; throws a `SimplePackingError` otherwise.
    package func validate() throws(SimplePackingError) {
        guard (0...32).contains(bitsPerValue) else {
            throw SimplePackingError("bitsPerValue \(bitsPerValue) is not supported (0 to 32)")
        }
        guard numberOfPackedValues >= 0 else { throw SimplePackingError("the number of packed values is negative") }
        guard abs(binaryScaleFactor) < 1100, abs(decimalScaleFactor) < 400 else {
            throw SimplePackingError("scale factors E = \(binaryScaleFactor), D = \(decimalScaleFactor) are out of range")
        }
    }
}
