import CEcCodes
import FeatureExtraction
import Foundation

extension GribMessageReader {
    /// The layout of the message in `bytes` (grid, packing, where its data section is).
    /// - Throws: `GribArchiveError.notGRIB` when ecCodes cannot read the message.
    package func layout(ofMessage bytes: UnsafeRawBufferPointer) throws -> FieldLayout {
        try Self.withHandle(bytes) { handle in Self.layout(of: handle) }
    }

    /// Every value of the message in `bytes`, decoded by ecCodes, in storage order; NaN for
    /// points the bitmap marks missing.
    /// - Throws: `GribArchiveError.notGRIB` when ecCodes cannot read or decode the message.
    package func decodedValues(ofMessage bytes: UnsafeRawBufferPointer) throws -> [Double] {
        try Self.withHandle(bytes) { handle in
            // A missing-value marker no real value has, so that missing points are told apart.
            let marker = 9.87654321e300
            var count = 0
            guard codes_set_double(handle, "missingValue", marker) == CODES_SUCCESS,
                codes_get_size(handle, "values", &count) == CODES_SUCCESS
            else { throw GribArchiveError(.notGRIB, "the values of a GRIB message cannot be decoded") }
            var values = [Double](repeating: 0, count: count)
            let status = values.withUnsafeMutableBufferPointer { buffer in
                codes_get_double_array(handle, "values", buffer.baseAddress, &count)
            }
            guard status == CODES_SUCCESS else {
                throw GribArchiveError(.notGRIB, "the values of a GRIB message cannot be decoded: \(Self.errorText(status))")
            }
            var present = 0
            if codes_get_long(handle, "bitmapPresent", &present) == CODES_SUCCESS, present != 0 {
                for index in values.indices where values[index] == marker { values[index] = .nan }
            }
            return values
        }
    }

    /// Runs `body` with an ecCodes handle on `bytes` (not copied), under the ecCodes lock.
    private static func withHandle<T>(_ bytes: UnsafeRawBufferPointer, _ body: (OpaquePointer) throws -> T) throws -> T {
        try ecCodes.withLock {
            guard let base = bytes.baseAddress, let handle = codes_handle_new_from_message(nil, base, bytes.count) else {
                throw GribArchiveError(.notGRIB, "a GRIB message cannot be read")
            }
            defer { codes_handle_delete(handle) }
            return try body(handle)
        }
    }

    /// The layout of the message of `handle` (called under the lock). Keys a grid does not
    /// have are left out; a message without a usable grid gets no `grid`.
    static func layout(of handle: OpaquePointer) -> FieldLayout {
        let edition = long(handle, "editionNumber") ?? 0
        let packingType = text(handle, "packingType") ?? "unknown"
        let gridType = text(handle, "gridType") ?? "unknown"
        return FieldLayout(
            edition: edition, packingType: packingType, gridType: gridType, grid: grid(of: handle, gridType: gridType),
            simplePacked: edition == 2 && packingType == "grid_simple" ? simplePackedSection(of: handle) : nil)
    }

    private static func grid(of handle: OpaquePointer, gridType: String) -> GridDescription? {
        let regular = gridType == "regular_ll" || gridType == "regular_gg"
        guard let points = long(handle, "numberOfDataPoints"), let nj = long(handle, "Nj"),
            let firstLatitude = double(handle, "latitudeOfFirstGridPointInDegrees"),
            let firstLongitude = double(handle, "longitudeOfFirstGridPointInDegrees"),
            let lastLatitude = double(handle, "latitudeOfLastGridPointInDegrees"),
            let lastLongitude = double(handle, "longitudeOfLastGridPointInDegrees")
        else { return nil }
        let gaussian = gridType.hasSuffix("_gg")
        return GridDescription(
            gridType: gridType, numberOfDataPoints: points, ni: regular ? long(handle, "Ni") : nil, nj: nj,
            gaussianNumber: gaussian ? long(handle, "N") : nil, pointsPerRow: gridType == "reduced_gg" ? longs(handle, "pl") : nil,
            latitudeOfFirstGridPoint: firstLatitude, longitudeOfFirstGridPoint: firstLongitude, latitudeOfLastGridPoint: lastLatitude,
            longitudeOfLastGridPoint: lastLongitude,
            iDirectionIncrement: regular ? double(handle, "iDirectionIncrementInDegrees") : nil,
            jDirectionIncrement: gridType == "regular_ll" ? double(handle, "jDirectionIncrementInDegrees") : nil,
            iScansNegatively: long(handle, "iScansNegatively") == 1, jScansPositively: long(handle, "jScansPositively") == 1,
            jPointsAreConsecutive: long(handle, "jPointsAreConsecutive") == 1,
            alternativeRowScanning: long(handle, "alternativeRowScanning") == 1)
    }

    /// The data section of a GRIB 2 `grid_simple` message, or nil when its values cannot be
    /// read one by one (a bitmap defined elsewhere, parameters out of range, a short section).
    private static func simplePackedSection(of handle: OpaquePointer) -> SimplePackedSection? {
        guard let reference = double(handle, "referenceValue"), let binary = long(handle, "binaryScaleFactor"),
            let decimal = long(handle, "decimalScaleFactor"), let bits = long(handle, "bitsPerValue"),
            let packedCount = long(handle, "numberOfValues"), let dataOffset = long(handle, "offsetBeforeData"),
            let section7Length = long(handle, "section7Length"), let bitmapIndicator = long(handle, "bitMapIndicator"),
            let totalLength = long(handle, "totalLength")
        else { return nil }
        let packing = SimplePacking(
            referenceValue: reference, binaryScaleFactor: binary, decimalScaleFactor: decimal, bitsPerValue: bits,
            numberOfPackedValues: packedCount)
        guard (try? packing.validate()) != nil, section7Length - 5 >= packing.packedByteCount,
            dataOffset + section7Length - 5 <= totalLength
        else { return nil }
        var bitmapOffset: Int64?
        switch bitmapIndicator {
        case 255: bitmapOffset = nil
        case 0:
            guard let section6 = long(handle, "offsetSection6") else { return nil }
            bitmapOffset = Int64(section6 + 6)
        default: return nil
        }
        return SimplePackedSection(
            packing: packing, valuesOffset: Int64(dataOffset), valuesLength: Int64(section7Length - 5), bitmapOffset: bitmapOffset)
    }

    // MARK: Keys (called under the lock)

    private static func long(_ handle: OpaquePointer, _ key: String) -> Int? {
        guard codes_is_defined(handle, key) != 0 else { return nil }
        var error: Int32 = 0
        if codes_is_missing(handle, key, &error) == 1, error == CODES_SUCCESS { return nil }
        var value = 0
        return codes_get_long(handle, key, &value) == CODES_SUCCESS ? value : nil
    }

    private static func double(_ handle: OpaquePointer, _ key: String) -> Double? {
        guard codes_is_defined(handle, key) != 0 else { return nil }
        var value = 0.0
        return codes_get_double(handle, key, &value) == CODES_SUCCESS ? value : nil
    }

    private static func longs(_ handle: OpaquePointer, _ key: String) -> [Int]? {
        var count = 0
        guard codes_is_defined(handle, key) != 0, codes_get_size(handle, key, &count) == CODES_SUCCESS, count > 0 else { return nil }
        var values = [Int](repeating: 0, count: count)
        let status = values.withUnsafeMutableBufferPointer { codes_get_long_array(handle, key, $0.baseAddress, &count) }
        return status == CODES_SUCCESS ? Array(values.prefix(count)) : nil
    }

    private static func text(_ handle: OpaquePointer, _ key: String) -> String? {
        guard codes_is_defined(handle, key) != 0 else { return nil }
        return try? string(handle, key, number: 0)
    }
}
