#if canImport(Darwin)
    import Darwin
#else
    import Glibc
#endif

/// The grid point nearest to a position, on the sphere.
extension GridGeometry {
    /// The nearest grid point found for a position: its storage index and place in the rows.
    package struct NearestPoint: Hashable, Sendable {
        package var index: Int
        package var row: Int
        package var column: Int
        /// The great-circle distance to the position, in degrees of arc.
        package var distanceDegrees: Double
    }

    /// Ties closer than this (radians, about 6 µm on the Earth) are ties.
    static let tieTolerance = 1e-12

    /// The grid point with the smallest great-circle distance to `point`, across the 0/360
    /// meridian and over the poles; of points at the same distance, the one stored first
    /// (smallest storage index). Nil only for a grid without points.
    ///
    /// Finds the row nearest in latitude by binary search, then visits rows outward while their
    /// latitude difference alone (a lower bound on the distance) is below the best distance so
    /// far; on each row only the two columns around the position's longitude can be nearest,
    /// as distance grows with the longitude difference along a row. O(log rows + rows visited).
    package func nearestPoint(to point: GeoPoint) -> NearestPoint? {
        var best: NearestPoint?
        var bestAngle = Double.infinity
        func consider(_ rowNumber: Int) {
            let row = rows[rowNumber]
            guard row.count > 0 else { return }
            for column in candidateColumns(on: row, longitude: point.longitude) {
                let candidate = GeoPoint(latitude: row.latitude, longitude: row.longitude(ofColumn: column))
                let angle = SphericalGeometry.centralAngle(point, candidate)
                let index = row.index(ofColumn: column)
                if angle < bestAngle - Self.tieTolerance || (abs(angle - bestAngle) <= Self.tieTolerance && index < (best?.index ?? .max)) {
                    bestAngle = min(angle, bestAngle)
                    best = NearestPoint(index: index, row: rowNumber, column: column, distanceDegrees: angle * SphericalGeometry.radiansToDegrees)
                }
            }
        }
        // rows[north] is the first row at or north of the point; rows[south] the last south of it.
        var low = 0
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].latitude < point.latitude { low = middle + 1 } else { high = middle }
        }
        var north = low
        var south = low - 1
        while north < rows.count || south >= 0 {
            let northGap = north < rows.count ? (rows[north].latitude - point.latitude) * SphericalGeometry.degreesToRadians : .infinity
            let southGap = south >= 0 ? (point.latitude - rows[south].latitude) * SphericalGeometry.degreesToRadians : .infinity
            if min(northGap, southGap) > bestAngle + Self.tieTolerance { break }
            if northGap <= southGap {
                consider(north)
                north += 1
            } else {
                consider(south)
                south -= 1
            }
        }
        return best
    }

    /// The (at most two) columns of `row` on either side of `longitude`.
    private func candidateColumns(on row: GridRow, longitude: Double) -> [Int] {
        // Every point of a row at a pole is the pole: offer both ends, the tie rule picks one.
        if abs(row.latitude) >= 90 - 1e-9 { return row.count > 1 ? [0, row.count - 1] : [0] }
        if row.isPeriodic {
            var offset = (longitude - row.westLongitude).truncatingRemainder(dividingBy: 360)
            if offset < 0 { offset += 360 }
            let below = Int((offset / row.longitudeStep).rounded(.down)) % row.count
            return below + 1 < row.count ? [below, below + 1] : (row.count > 1 ? [below, 0] : [below])
        }
        let shifted = shiftedNear(longitude, row: row)
        let position = (shifted - row.westLongitude) / row.longitudeStep
        let below = min(max(Int(position.rounded(.down)), 0), row.count - 1)
        let above = min(below + 1, row.count - 1)
        return below == above ? [below] : [below, above]
    }

    /// `longitude` moved by whole turns to lie nearest the middle of a non-periodic row.
    private func shiftedNear(_ longitude: Double, row: GridRow) -> Double {
        let middle = row.westLongitude + row.longitudeStep * Double(row.count - 1) / 2
        return longitude - 360 * ((longitude - middle) / 360).rounded()
    }

    /// Whether `point` lies on the grid: within half a grid spacing of its outermost rows and
    /// columns (always, for a global grid). Nearest-point answers are given only for such points.
    package func covers(_ point: GeoPoint) -> Bool {
        let epsilon = 1e-9
        if !coversAllLatitudes {
            let margins = Self.latitudeMargins(rows)
            if point.latitude < rows[0].latitude - margins.south - epsilon { return false }
            if point.latitude > rows[rows.count - 1].latitude + margins.north + epsilon { return false }
        }
        if !coversAllLongitudes {
            for row in rows where !row.isPeriodic && row.count > 0 {
                let shifted = shiftedNear(point.longitude, row: row)
                let west = row.westLongitude - row.longitudeStep / 2 - epsilon
                let east = row.unwrappedLongitude(ofColumn: row.count - 1) + row.longitudeStep / 2 + epsilon
                if shifted < west || shifted > east { return false }
            }
        }
        return true
    }
}
