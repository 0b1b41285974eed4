/// One row of a grid: points at one latitude, equally spaced in longitude, west to east.
///
/// Columns are counted eastward from the westmost point whatever the storage order; `index(of:)`
/// gives a column's position in the field's values.
package struct GridRow: Hashable, Sendable {
    package var latitude: Double
    /// The number of points on the row.
    package var count: Int
    /// The longitude of column 0, the westmost point (for a periodic row, the first point
    /// stored or its eastward mirror).
    package var westLongitude: Double
    /// The eastward spacing between neighbouring columns, in degrees.
    package var longitudeStep: Double
    /// Whether the row goes all round the Earth (its last column's eastern neighbour is column 0).
    package var isPeriodic: Bool
    /// The storage index of column 0.
    package var firstIndex: Int
    /// The storage index step from one column to the next eastward (negative when the grid scans
    /// westward, Nj when columns are consecutive in storage).
    package var indexStride: Int

    /// The storage index of a column.
    package func index(ofColumn column: Int) -> Int { firstIndex + column * indexStride }

    /// The longitude of a column: in [0, 360) on a periodic row, as the grid defines it otherwise.
    package func longitude(ofColumn column: Int) -> Double {
        let longitude = westLongitude + Double(column) * longitudeStep
        guard isPeriodic else { return longitude }
        let wrapped = longitude.truncatingRemainder(dividingBy: 360)
        return wrapped < 0 ? wrapped + 360 : (wrapped >= 360 ? wrapped - 360 : wrapped)
    }

    /// The longitude of column 0 plus `column` steps, without wrapping (for interval arithmetic).
    func unwrappedLongitude(ofColumn column: Int) -> Double { westLongitude + Double(column) * longitudeStep }

    /// The columns whose longitudes lie in [west, east] (on the real line, tolerance
    /// `tolerance` degrees), each once, as ranges of unwrapped column numbers: on a periodic row
    /// column numbers may be negative or ≥ `count` and are to be taken modulo `count`.
    func columnRange(west: Double, east: Double, tolerance: Double) -> ClosedRange<Int>? {
        guard count > 0, east >= west else { return nil }
        // In Double until the span is known to fit a row: longitudes may be any size.
        var first = ((west - westLongitude) / longitudeStep - tolerance / longitudeStep).rounded(.up)
        var last = ((east - westLongitude) / longitudeStep + tolerance / longitudeStep).rounded(.down)
        guard first.isFinite, last.isFinite else { return nil }
        if isPeriodic {
            if last - first + 1 >= Double(count) { return 0...(count - 1) }
            // Both ends within a turn or so of the row: shifted by whole turns, then converted.
            let turns = (first / Double(count)).rounded(.down) * Double(count)
            (first, last) = (first - turns, last - turns)
        } else {
            first = max(first, 0)
            last = min(last, Double(count - 1))
        }
        return first <= last ? Int(first)...Int(last) : nil
    }
}
