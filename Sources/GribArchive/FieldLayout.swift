import FeatureExtraction

/// What the archive records about a field's grid and data section, read with ecCodes when
/// the field is archived, so that a feature can be cut from it without decoding it all.
///
/// `simplePacked` is set only when the few values a feature needs can be read directly
/// from the message: GRIB 2 `grid_simple` with no bitmap or a bitmap in the message itself.
/// Every other field (other packings, GRIB 1, a bitmap defined elsewhere) is decoded whole
/// with ecCodes.
package struct FieldLayout: Sendable, Hashable {
    /// The version of the rules that wrote a layout; layouts recorded under an older version
    /// (or none, for fields archived before layouts existed) are read again from the message.
    package static let currentVersion = 1

    /// The GRIB edition (1 or 2).
    package var edition: Int
    /// ecCodes' `packingType` (`grid_simple`, `grid_ccsds`, `grid_complex`, ...).
    package var packingType: String
    /// ecCodes' `gridType` (`regular_ll`, `reduced_gg`, `sh`, ...).
    package var gridType: String
    /// The grid, or nil when ecCodes does not give the keys of one (spectral fields, say).
    package var grid: GridDescription?
    /// Where the packed values are, for fields read value by value.
    package var simplePacked: SimplePackedSection?

    package init(edition: Int, packingType: String, gridType: String, grid: GridDescription?, simplePacked: SimplePackedSection?) {
        self.edition = edition
        self.packingType = packingType
        self.gridType = gridType
        self.grid = grid
        self.simplePacked = simplePacked
    }
}

/// The data section of a simple-packed GRIB 2 message: its parameters and where its packed
/// values and bitmap are, as offsets from the start of the message.
package struct SimplePackedSection: Sendable, Hashable {
    package var packing: SimplePacking
    /// The offset of the first packed value (section 7's payload) from the message's start.
    package var valuesOffset: Int64
    /// The bytes of section 7's payload (at least `packing.packedByteCount`).
    package var valuesLength: Int64
    /// The offset of the bitmap's bits (section 6 after its 6-byte header), or nil when the
    /// field has no bitmap.
    package var bitmapOffset: Int64?

    package init(packing: SimplePacking, valuesOffset: Int64, valuesLength: Int64, bitmapOffset: Int64?) {
        self.packing = packing
        self.valuesOffset = valuesOffset
        self.valuesLength = valuesLength
        self.bitmapOffset = bitmapOffset
    }
}
