import FeatureExtraction
import Synchronization

/// The geometries of the grids a datasource has met, computed once each (an O1280 grid's
/// Gaussian latitudes take milliseconds) and shared by its requests.
///
/// At most `capacity` grids are kept; when a new one comes past that, the cache starts again.
final class GridGeometryCache: Sendable {
    let capacity: Int
    private let geometries = Mutex<[GridDescription: GridGeometry]>([:])

    init(capacity: Int = 16) {
        self.capacity = capacity
    }

    /// The geometry of `grid`.
    /// - Throws: `GridGeometryError` for a grid features cannot be cut from.
    func geometry(of grid: GridDescription) throws(GridGeometryError) -> GridGeometry {
        if let known = geometries.withLock({ $0[grid] }) { return known }
        let geometry = try GridGeometry(grid)
        geometries.withLock { geometries in
            if geometries.count >= capacity { geometries.removeAll() }
            geometries[grid] = geometry
        }
        return geometry
    }
}
