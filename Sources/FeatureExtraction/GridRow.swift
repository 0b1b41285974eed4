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

    /// The columns whose longitudes lie in [west, east] modulo 360 (tolerance `tolerance`
    /// degrees), as ranges of column numbers: on a periodic row one range, whose numbers may be
    /// negative or ≥ `count` and are to be taken modulo `count`; on a limited-area row the
    /// interval's turns that meet the row (a row stored from 350 to 370 holds 0 to 10 too).
    func columnRanges(west: Double, east: Double, tolerance: Double) -> [ClosedRange<Int>] {
        guard !isPeriodic else { return columnRange(west: west, east: east, tolerance: tolerance).map { [$0] } ?? [] }
        guard count > 0, east >= west, west.isFinite, east.isFinite else { return [] }
        let rowEast = westLongitude + Double(count - 1) * longitudeStep
        if east - west >= 360 { return [0...(count - 1)] }
        // The turns k for which [west, east] + 360k meets [westLongitude, rowEast].
        let first = ((westLongitude - east - tolerance) / 360).rounded(.up)
        let last = ((rowEast - west + tolerance) / 360).rounded(.down)
        // At most three turns can meet a row narrower than a turn (counted, not strided: with
        // longitudes beyond 2^53, adding 1 would not move).
        guard first <= last, last - first <= 3 else { return [] }
        return (0...Int(last - first)).compactMap { step in
            let turn = first + Double(step)
            return columnRange(west: west + 360 * turn, east: east + 360 * turn, tolerance: tolerance)
        }
    }

    /// The columns of [west, east] as written, without trying its other turns on a
    /// limited-area row (see `columnRanges`).
    func columnRange(west: Double, east: Double, tolerance: Double) -> ClosedRange<Int>? {
        guard count > 0, east >= west else { return nil }
        // In Double until the span is known to fit a row: longitudes may be any size.
        var first = ((west - westLongitude) / longitudeStep - tolerance / longitudeStep).rounded(.up)
        var last = ((east - westLongitude) / longitudeStep + tolerance / longitudeStep).rounded(.down)
        guard first.isFinite, last.isFinite else { return nil }
        if isPeriodic {
            // Beyond 1e12 columns, whole turns cannot be taken off exactly: a whole row.
            if last - first + 1 >= Double(count) || max(abs(first), abs(last)) > 1e12 { return 0...(count - 1) }
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
