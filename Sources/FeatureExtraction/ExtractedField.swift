/// The values one field gives for a feature: what the encoder receives per field.
package struct ExtractedField: Sendable {
    /// The field's position in the `CoveragePlan`'s field list.
    package var fieldNumber: Int
    /// The grid points the values belong to (the selection of the field's grid).
    package var selection: GridSelection
    /// One value per selection entry, in selection order; nil where the field has no value
    /// (bitmap) — written as `null`.
    package var values: [Double?]

    package init(fieldNumber: Int, selection: GridSelection, values: [Double?]) {
        self.fieldNumber = fieldNumber
        self.selection = selection
        self.values = values
    }
}
