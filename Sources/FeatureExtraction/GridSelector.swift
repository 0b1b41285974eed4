/// Turns a feature's shape into the grid points it selects on one grid.
///
/// The result depends only on the shape, the grid and — for paths whose points carry levels
/// or steps — the field's level and step; `variant(level:step:)` says which of those matter,
/// so a caller can cache selections keyed by (`GridDescription`, variant).
package enum GridSelector {
    /// What, besides the grid, a shape's selection depends on.
    package struct Variant: Hashable, Sendable {
        package var level: Double?
        package var step: Double?

        package init(level: Double? = nil, step: Double? = nil) {
            self.level = level
            self.step = step
        }
    }

    /// The part of a field's position that changes `shape`'s selection: nothing, except for a
    /// trajectory whose points carry levels (the field's level) or steps (its step, in hours).
    package static func variant(of shape: FeatureShape, level: Double?, step: Double?) -> Variant {
        guard case .trajectory(let trajectory) = shape else { return Variant() }
        return Variant(level: trajectory.hasLevels ? level : nil, step: trajectory.hasSteps ? step : nil)
    }

    /// The grid points `shape` selects on `geometry`, in `GridSelection`'s documented order.
    ///
    /// Nearest-point shapes throw a `GridSelectionError` listing every requested point outside
    /// a limited-area grid. Regions may select nothing (an empty selection, not an error).
    package static func select(
        _ shape: FeatureShape, on geometry: GridGeometry, variant: Variant = Variant()
    ) throws(GridSelectionError) -> GridSelection {
        switch shape {
        case .nearestPoints(let points): return try nearest(points, on: geometry)
        case .boxes(let boxes): return select(BoxesRegion(boxes: boxes), on: geometry)
        case .polygons(let rings): return select(PolygonsRegion(rings), on: geometry)
        case .circle(let center, let radius): return select(CircleRegion(center: center, radiusDegrees: radius), on: geometry)
        case .trajectory(let trajectory):
            return select(TrajectoryRegion(trajectory, level: variant.level, step: variant.step), on: geometry)
        }
    }

    /// One entry per requested point: its nearest grid point (see `GridGeometry.nearestPoint`).
    static func nearest(_ points: [GeoPoint], on geometry: GridGeometry) throws(GridSelectionError) -> GridSelection {
        var selection = GridSelection()
        var problems: [String] = []
        for point in points {
            guard geometry.covers(point), let nearest = geometry.nearestPoint(to: point) else {
                problems.append(
                    "point \(point) is outside the grid (\(geometry.extentDescription)); points are answered only inside the grid, never moved to its edge"
                )
                continue
            }
            let row = geometry.rows[nearest.row]
            selection.append(index: nearest.index, latitude: row.latitude, longitude: row.longitude(ofColumn: nearest.column))
            selection.requestedPoints.append(point)
        }
        guard problems.isEmpty else { throw GridSelectionError(problems: problems) }
        return selection
    }

    /// The grid points inside `region`: per row, the columns in the region's longitude intervals.
    static func select(_ region: some GridRegion, on geometry: GridGeometry) -> GridSelection {
        var selection = GridSelection()
        let bounds = region.latitudeBounds
        // Rows are sorted by latitude: start at the first row inside the bounds.
        var low = 0
        var high = geometry.rows.count
        while low < high {
            let middle = (low + high) / 2
            if geometry.rows[middle].latitude < bounds.lowerBound { low = middle + 1 } else { high = middle }
        }
        var columns: [Int] = []
        var rowPoints: [(longitude: Double, index: Int)] = []
        for rowNumber in low..<geometry.rows.count {
            let row = geometry.rows[rowNumber]
            if row.latitude > bounds.upperBound { break }
            guard row.count > 0 else { continue }
            columns.removeAll(keepingCapacity: true)
            for interval in Self.merged(region.longitudeIntervals(atLatitude: row.latitude)) {
                for range in row.columnRanges(west: interval.lowerBound, east: interval.upperBound, tolerance: boundaryTolerance) {
                    for column in range {
                        columns.append(row.isPeriodic ? ((column % row.count) + row.count) % row.count : column)
                    }
                }
            }
            guard !columns.isEmpty else { continue }
            columns.sort()
            rowPoints.removeAll(keepingCapacity: true)
            var previous = -1
            for column in columns where column != previous {
                previous = column
                let longitude = row.longitude(ofColumn: column)
                if region.needsPointTest, !region.contains(GeoPoint(latitude: row.latitude, longitude: longitude)) { continue }
                rowPoints.append((longitude, row.index(ofColumn: column)))
            }
            if row.isPeriodic, row.westLongitude.truncatingRemainder(dividingBy: 360) != 0 {
                rowPoints.sort { $0.longitude < $1.longitude }
            }
            for point in rowPoints {
                selection.append(index: point.index, latitude: row.latitude, longitude: point.longitude)
            }
        }
        return selection
    }

    /// `intervals` with those that overlap joined: a round trajectory's thousands of caps
    /// overlap, and each column is then enumerated once rather than once per cap.
    static func merged(_ intervals: [ClosedRange<Double>]) -> [ClosedRange<Double>] {
        guard intervals.count > 1 else { return intervals }
        var merged: [ClosedRange<Double>] = []
        for interval in intervals.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, interval.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound...max(last.upperBound, interval.upperBound)
            } else {
                merged.append(interval)
            }
        }
        return merged
    }
}
