/// The grid points a feature selects on one grid, computed once per grid (and, for paths that
/// carry levels or steps, per level and step) and applied to every field on that grid.
///
/// Order: for nearest-point features, one entry per requested point in request order (two
/// requested points with the same nearest grid point give two entries); for regions, rows
/// from south to north and on each row longitudes ascending (as reported: [0, 360) on global
/// grids), each grid point once — the order polytope's result tree has.
package struct GridSelection: Hashable, Sendable {
    /// The storage indices of the selected points, in selection order.
    package var indices: [Int]
    /// Their latitudes.
    package var latitudes: [Double]
    /// Their longitudes: in [0, 360) on rows going round the Earth, as the grid defines them otherwise.
    package var longitudes: [Double]
    /// For nearest-point features, the requested point each entry answers; empty otherwise.
    package var requestedPoints: [GeoPoint]

    package init(indices: [Int] = [], latitudes: [Double] = [], longitudes: [Double] = [], requestedPoints: [GeoPoint] = []) {
        self.indices = indices
        self.latitudes = latitudes
        self.longitudes = longitudes
        self.requestedPoints = requestedPoints
    }

    /// The number of entries.
    package var count: Int { indices.count }
    package var isEmpty: Bool { indices.isEmpty }

    /// The distinct storage indices, ascending: what a read plan needs.
    package var sortedDistinctIndices: [Int] {
        var sorted = indices.sorted()
        var write = 0
        for value in sorted where write == 0 || sorted[write - 1] != value {
            sorted[write] = value
            write += 1
        }
        sorted.removeLast(sorted.count - write)
        return sorted
    }

    mutating func append(index: Int, latitude: Double, longitude: Double) {
        indices.append(index)
        latitudes.append(latitude)
        longitudes.append(longitude)
    }
}
