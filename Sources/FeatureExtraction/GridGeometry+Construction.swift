/// Building rows from GRIB keys.
extension GridGeometry {
    /// The storage rows' latitudes of a regular lat-lon grid, evenly spaced from first to last.
    static func regularLatitudes(_ description: GridDescription) throws(GridGeometryError) -> [Double] {
        let nj = description.nj
        let first = description.latitudeOfFirstGridPoint
        let last = description.latitudeOfLastGridPoint
        guard abs(first) <= 90 + 1e-6, abs(last) <= 90 + 1e-6 else {
            throw GridGeometryError("grid latitudes \(first) and \(last) are outside [-90, 90]")
        }
        if (last > first) != description.jScansPositively, nj > 1 {
            throw GridGeometryError(
                "the grid's first latitude \(first) and last latitude \(last) contradict its scanning mode (jScansPositively = \(description.jScansPositively))"
            )
        }
        guard nj > 1 else { return [first] }
        return (0..<nj).map { first + (last - first) * Double($0) / Double(nj - 1) }
    }

    /// The storage rows' latitudes of a Gaussian grid (all 2N, or the band between the first
    /// and last latitudes), and whether the grid has all 2N rows.
    static func gaussianLatitudes(_ description: GridDescription) throws(GridGeometryError) -> ([Double], Bool) {
        guard let n = description.gaussianNumber, n > 0, n <= 8000 else {
            throw GridGeometryError("a Gaussian grid needs its Gaussian number N (1 to 8000)")
        }
        let all = GaussianLatitudes.latitudes(gaussianNumber: n)
        // GRIB stores latitudes in micro-degrees (GRIB 2) or milli-degrees (GRIB 1).
        func row(of latitude: Double) throws(GridGeometryError) -> Int {
            var best = 0
            for index in all.indices where abs(all[index] - latitude) < abs(all[best] - latitude) { best = index }
            guard abs(all[best] - latitude) < 1.5e-3 else {
                throw GridGeometryError("latitude \(latitude) is not a latitude of the Gaussian grid N\(n)")
            }
            return best
        }
        let first = try row(of: description.latitudeOfFirstGridPoint)
        let last = try row(of: description.latitudeOfLastGridPoint)
        let band = first <= last ? Array(all[first...last]) : Array(all[last...first].reversed())
        guard band.count == description.nj else {
            throw GridGeometryError(
                "Nj = \(description.nj) does not match the \(band.count) Gaussian latitudes from \(description.latitudeOfFirstGridPoint) to \(description.latitudeOfLastGridPoint)"
            )
        }
        if (first > last) != description.jScansPositively, band.count > 1 {
            throw GridGeometryError(
                "the grid's first and last latitudes contradict its scanning mode (jScansPositively = \(description.jScansPositively))")
        }
        return (band, band.count == 2 * n)
    }

    /// The rows of a regular grid (lat-lon or Gaussian): Ni points each, in any scanning mode.
    static func regularRows(_ description: GridDescription, latitudes: [Double]) throws(GridGeometryError) -> [GridRow] {
        guard let ni = description.ni, ni > 0 else { throw GridGeometryError("a regular grid needs Ni, its points per row") }
        let nj = description.nj
        guard ni * nj == description.numberOfDataPoints else {
            throw GridGeometryError("Ni × Nj = \(ni) × \(nj) does not match numberOfDataPoints = \(description.numberOfDataPoints)")
        }
        let westward = description.iScansNegatively
        let west = westward ? description.longitudeOfLastGridPoint : description.longitudeOfFirstGridPoint
        var east = westward ? description.longitudeOfFirstGridPoint : description.longitudeOfLastGridPoint
        while east < west - 1e-9 { east += 360 }
        var step = description.iDirectionIncrement ?? 360 / Double(ni)
        var periodic = false
        if ni > 1 {
            step = (east - west) / Double(ni - 1)
            guard step > 0 else { throw GridGeometryError("the grid's first and last longitudes are equal but Ni = \(ni)") }
            let circumference = step * Double(ni)
            if abs(circumference - 360) < max(1e-4, step * 1e-3) {
                periodic = true
                step = 360 / Double(ni)
            } else if circumference > 360 + step * 1e-3 {
                throw GridGeometryError("the grid's rows span \(east - west + step) degrees of longitude, more than the Earth")
            }
        }
        let columnStride = description.jPointsAreConsecutive ? nj : 1
        let rowStride = description.jPointsAreConsecutive ? 1 : ni
        return latitudes.enumerated().map { storageRow, latitude in
            let firstColumnStorage = westward ? ni - 1 : 0
            return GridRow(
                latitude: latitude, count: ni, westLongitude: west, longitudeStep: step, isPeriodic: periodic,
                firstIndex: storageRow * rowStride + firstColumnStorage * columnStride, indexStride: westward ? -columnStride : columnStride)
        }
    }

    /// The rows of a global reduced Gaussian grid: `pl[j]` points on row j, rows consecutive.
    static func reducedRows(_ description: GridDescription, latitudes: [Double]) throws(GridGeometryError) -> [GridRow] {
        guard let pl = description.pointsPerRow, pl.count == description.nj else {
            throw GridGeometryError("a reduced Gaussian grid needs pl, its points per row, one for each of the Nj = \(description.nj) rows")
        }
        guard !description.iScansNegatively, !description.jPointsAreConsecutive else {
            throw GridGeometryError(
                "reduced Gaussian grids are read in the default scanning mode only (iScansNegatively = 0, jPointsAreConsecutive = 0)")
        }
        guard pl.allSatisfy({ $0 >= 0 }), pl.reduce(0, +) == description.numberOfDataPoints else {
            throw GridGeometryError(
                "the points per row (pl) add up to \(pl.reduce(0, +)), not numberOfDataPoints = \(description.numberOfDataPoints)")
        }
        let widest = Double(pl.max() ?? 1)
        let west = description.longitudeOfFirstGridPoint
        var east = description.longitudeOfLastGridPoint
        while east < west - 1e-9 { east += 360 }
        guard abs(east - west + 360 / widest - 360) < 2e-3 else {
            throw GridGeometryError(
                "reduced Gaussian grids must go all round the Earth (longitudes \(west) to \(description.longitudeOfLastGridPoint)); sub-areas are not supported"
            )
        }
        var offset = 0
        return zip(latitudes, pl).map { latitude, count in
            defer { offset += count }
            return GridRow(
                latitude: latitude, count: count, westLongitude: west, longitudeStep: count > 0 ? 360 / Double(count) : 360, isPeriodic: true,
                firstIndex: offset, indexStride: 1)
        }
    }
}
