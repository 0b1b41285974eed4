/// Where every value of a field lies: the grid's rows, south to north, each mapping columns to
/// storage indices; built once per `GridDescription` and shared by all fields on that grid.
///
/// Reads regular lat-lon grids (global or limited-area, any of the 8 scanning modes without
/// alternative row scanning), regular Gaussian grids (global or a band of rows) and global
/// reduced Gaussian grids including octahedral ones (default scanning, or south to north).
package struct GridGeometry: Hashable, Sendable {
    package let description: GridDescription
    /// The rows, ordered by latitude from south to north.
    package let rows: [GridRow]
    /// For each storage row (in the order the field stores rows), its position in `rows`.
    let rowForStorageRow: [Int]
    /// Whether the rows reach both poles (a global grid): no latitude is outside it.
    package let coversAllLatitudes: Bool
    /// Whether every row goes all round the Earth: no longitude is outside it.
    package let coversAllLongitudes: Bool

    /// Builds the geometry, or throws a `GridGeometryError` naming what is not supported or
    /// inconsistent.
    package init(_ description: GridDescription) throws(GridGeometryError) {
        self.description = description
        guard !description.alternativeRowScanning else {
            throw GridGeometryError("grids with alternative row scanning are not supported")
        }
        guard description.nj > 0, description.numberOfDataPoints > 0 else {
            throw GridGeometryError("the grid has no points (Nj = \(description.nj), numberOfDataPoints = \(description.numberOfDataPoints))")
        }
        var storageRows: [GridRow]
        var fullGaussian = false
        switch description.gridType {
        case "regular_ll":
            let latitudes = try Self.regularLatitudes(description)
            storageRows = try Self.regularRows(description, latitudes: latitudes)
        case "regular_gg":
            let (latitudes, full) = try Self.gaussianLatitudes(description)
            fullGaussian = full
            storageRows = try Self.regularRows(description, latitudes: latitudes)
        case "reduced_gg":
            let (latitudes, full) = try Self.gaussianLatitudes(description)
            fullGaussian = full
            storageRows = try Self.reducedRows(description, latitudes: latitudes)
        default:
            throw GridGeometryError("grid type '\(description.gridType)' is not supported (supported: regular_ll, regular_gg, reduced_gg)")
        }
        let order = storageRows.indices.sorted { storageRows[$0].latitude < storageRows[$1].latitude }
        rows = order.map { storageRows[$0] }
        var rowForStorageRow = [Int](repeating: 0, count: storageRows.count)
        for (position, storageRow) in order.enumerated() { rowForStorageRow[storageRow] = position }
        self.rowForStorageRow = rowForStorageRow
        coversAllLongitudes = rows.allSatisfy(\.isPeriodic)
        if fullGaussian {
            coversAllLatitudes = true
        } else {
            let extent = Self.latitudeMargins(rows)
            coversAllLatitudes = rows[0].latitude - extent.south <= -90 + 1e-9 && rows[rows.count - 1].latitude + extent.north >= 90 - 1e-9
        }
    }

    /// The total number of points (storage indices run from 0 to this minus one).
    package var pointCount: Int { description.numberOfDataPoints }

    /// The latitude and longitude of the point stored at `index` (longitudes in [0, 360) on
    /// periodic rows), or nil when there is no such index.
    package func coordinates(ofIndex index: Int) -> GeoPoint? {
        guard let (row, column) = rowAndColumn(ofIndex: index) else { return nil }
        return GeoPoint(latitude: rows[row].latitude, longitude: rows[row].longitude(ofColumn: column))
    }

    /// The row (position in `rows`) and eastward column of the point stored at `index`.
    package func rowAndColumn(ofIndex index: Int) -> (row: Int, column: Int)? {
        guard index >= 0, index < pointCount else { return nil }
        if let ni = description.ni {
            let nj = description.nj
            let storageRow = description.jPointsAreConsecutive ? index % nj : index / ni
            let storageColumn = description.jPointsAreConsecutive ? index / nj : index % ni
            let column = description.iScansNegatively ? ni - 1 - storageColumn : storageColumn
            return (rowForStorageRow[storageRow], column)
        }
        // Reduced grid: rows are consecutive runs; find the run holding `index`.
        var low = 0
        var high = rowForStorageRow.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if rows[rowForStorageRow[middle]].firstIndex <= index { low = middle } else { high = middle - 1 }
        }
        let row = rowForStorageRow[low]
        return (row, index - rows[row].firstIndex)
    }

    /// The latitudes a point may lie beyond the southern and northern rows and still be inside
    /// the grid: half the spacing to the neighbouring row.
    static func latitudeMargins(_ rows: [GridRow]) -> (south: Double, north: Double) {
        guard rows.count > 1 else { return (0, 0) }
        return ((rows[1].latitude - rows[0].latitude) / 2, (rows[rows.count - 1].latitude - rows[rows.count - 2].latitude) / 2)
    }

    /// `latitudes -10 to 30, longitudes 350 to 370`, for messages.
    package var extentDescription: String {
        let south = GeoPoint.shortText(rows[0].latitude)
        let north = GeoPoint.shortText(rows[rows.count - 1].latitude)
        let latitudes = coversAllLatitudes ? "all latitudes" : "latitudes \(south) to \(north)"
        guard !coversAllLongitudes, let row = rows.first else { return "\(latitudes), all longitudes" }
        let west = GeoPoint.shortText(row.westLongitude)
        let east = GeoPoint.shortText(row.unwrappedLongitude(ofColumn: row.count - 1))
        return "\(latitudes), longitudes \(west) to \(east)"
    }
}
