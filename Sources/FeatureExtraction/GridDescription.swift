/// A GRIB field's grid as ecCodes reports it: the handful of keys that fix where every value
/// of the field lies.
///
/// Hashable, so a datasource can key a cache of `GridGeometry` and `GridSelection` on it:
/// fields on the same grid share one selection. Angles are in degrees (ecCodes'
/// `...InDegrees` keys); scanning-mode flags are ecCodes' booleans.
package struct GridDescription: Hashable, Sendable, Codable {
    /// ecCodes' `gridType`; this engine reads `regular_ll`, `regular_gg` and `reduced_gg`.
    package var gridType: String
    /// `numberOfDataPoints`: the points of the grid, including those the bitmap marks missing.
    package var numberOfDataPoints: Int
    /// `Ni`: points along a row (regular grids); nil for reduced grids.
    package var ni: Int?
    /// `Nj`: the number of rows.
    package var nj: Int
    /// `N`: the Gaussian number (Gaussian grids), the count of rows between a pole and the equator.
    package var gaussianNumber: Int?
    /// `pl`: the points on each row, in storage order (reduced grids).
    package var pointsPerRow: [Int]?
    package var latitudeOfFirstGridPoint: Double
    package var longitudeOfFirstGridPoint: Double
    package var latitudeOfLastGridPoint: Double
    package var longitudeOfLastGridPoint: Double
    /// `iDirectionIncrementInDegrees` (regular grids; nil when not given).
    package var iDirectionIncrement: Double?
    /// `jDirectionIncrementInDegrees` (regular lat-lon grids; nil when not given).
    package var jDirectionIncrement: Double?
    package var iScansNegatively: Bool
    package var jScansPositively: Bool
    package var jPointsAreConsecutive: Bool
    package var alternativeRowScanning: Bool

    package init(
        gridType: String, numberOfDataPoints: Int, ni: Int?, nj: Int, gaussianNumber: Int? = nil, pointsPerRow: [Int]? = nil,
        latitudeOfFirstGridPoint: Double, longitudeOfFirstGridPoint: Double, latitudeOfLastGridPoint: Double,
        longitudeOfLastGridPoint: Double, iDirectionIncrement: Double? = nil, jDirectionIncrement: Double? = nil,
        iScansNegatively: Bool = false, jScansPositively: Bool = false, jPointsAreConsecutive: Bool = false,
        alternativeRowScanning: Bool = false
    ) {
        self.gridType = gridType
        self.numberOfDataPoints = numberOfDataPoints
        self.ni = ni
        self.nj = nj
        self.gaussianNumber = gaussianNumber
        self.pointsPerRow = pointsPerRow
        self.latitudeOfFirstGridPoint = latitudeOfFirstGridPoint
        self.longitudeOfFirstGridPoint = longitudeOfFirstGridPoint
        self.latitudeOfLastGridPoint = latitudeOfLastGridPoint
        self.longitudeOfLastGridPoint = longitudeOfLastGridPoint
        self.iDirectionIncrement = iDirectionIncrement
        self.jDirectionIncrement = jDirectionIncrement
        self.iScansNegatively = iScansNegatively
        self.jScansPositively = jScansPositively
        self.jPointsAreConsecutive = jPointsAreConsecutive
        self.alternativeRowScanning = alternativeRowScanning
    }

    /// Hashes the keys that tell grids apart in practice, leaving out `pl` (hundreds or
    /// thousands of numbers): caches keyed by grid hash every field of a request.
    package func hash(into hasher: inout Hasher) {
        hasher.combine(gridType)
        hasher.combine(numberOfDataPoints)
        hasher.combine(ni)
        hasher.combine(nj)
        hasher.combine(gaussianNumber)
        hasher.combine(latitudeOfFirstGridPoint)
        hasher.combine(longitudeOfFirstGridPoint)
        hasher.combine(latitudeOfLastGridPoint)
        hasher.combine(longitudeOfLastGridPoint)
    }

    /// The grid in a few words for messages, enough to tell apart the grids a request meets:
    /// `regular_ll 1°×1° grid of 360×181 points from [90, 0]`, `reduced_gg N32 grid of 6599
    /// points from [87.863799, 0]`.
    package var summary: String {
        var words = [gridType]
        if let gaussianNumber { words.append("N\(gaussianNumber)") }
        if gridType == "regular_ll", let i = iDirectionIncrement, let j = jDirectionIncrement {
            words.append("\(GeoPoint.shortText(i))°×\(GeoPoint.shortText(j))°")
        }
        let size = ni.map { "\($0)×\(nj)" } ?? "\(numberOfDataPoints)"
        let first = GeoPoint(latitude: latitudeOfFirstGridPoint, longitude: longitudeOfFirstGridPoint)
        return words.joined(separator: " ") + " grid of \(size) points from \(first)"
    }

    /// A regular latitude-longitude grid in the default scanning mode (west to east, north to
    /// south, rows consecutive), from its corners and increments.
    package static func regularLatLon(north: Double, west: Double, south: Double, east: Double, increment: Double) -> GridDescription {
        let ni = Int(((east - west) / increment).rounded()) + 1
        let nj = Int(((north - south) / increment).rounded()) + 1
        return GridDescription(
            gridType: "regular_ll", numberOfDataPoints: ni * nj, ni: ni, nj: nj, latitudeOfFirstGridPoint: north,
            longitudeOfFirstGridPoint: west, latitudeOfLastGridPoint: south, longitudeOfLastGridPoint: east,
            iDirectionIncrement: increment, jDirectionIncrement: increment)
    }

    /// The global regular latitude-longitude grid of the given increment (90 to -90, 0 to 360 − increment).
    package static func globalLatLon(increment: Double) -> GridDescription {
        regularLatLon(north: 90, west: 0, south: -90, east: 360 - increment, increment: increment)
    }

    /// The octahedral reduced Gaussian grid O-N as ECMWF writes it.
    package static func octahedral(_ n: Int) -> GridDescription {
        let pl = GaussianLatitudes.octahedralPointsPerRow(gaussianNumber: n)
        return reducedGaussian(n, pointsPerRow: pl)
    }

    /// A global reduced Gaussian grid with the given points per row.
    package static func reducedGaussian(_ n: Int, pointsPerRow pl: [Int]) -> GridDescription {
        let latitudes = GaussianLatitudes.latitudes(gaussianNumber: n)
        let widest = pl.max() ?? 1
        return GridDescription(
            gridType: "reduced_gg", numberOfDataPoints: pl.reduce(0, +), ni: nil, nj: 2 * n, gaussianNumber: n, pointsPerRow: pl,
            latitudeOfFirstGridPoint: latitudes[0], longitudeOfFirstGridPoint: 0, latitudeOfLastGridPoint: latitudes[2 * n - 1],
            longitudeOfLastGridPoint: 360 - 360 / Double(widest))
    }

    /// The global regular Gaussian grid F-N (4N points on each of the 2N rows).
    package static func regularGaussian(_ n: Int) -> GridDescription {
        let latitudes = GaussianLatitudes.latitudes(gaussianNumber: n)
        return GridDescription(
            gridType: "regular_gg", numberOfDataPoints: 8 * n * n, ni: 4 * n, nj: 2 * n, gaussianNumber: n,
            latitudeOfFirstGridPoint: latitudes[0], longitudeOfFirstGridPoint: 0, latitudeOfLastGridPoint: latitudes[2 * n - 1],
            longitudeOfLastGridPoint: 360 - 90 / Double(n), iDirectionIncrement: 90 / Double(n))
    }
}
