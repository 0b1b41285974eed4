import FeatureExtraction
import Synchronization

/// Layouts already read from the index, by where their message is (`file@offset`), and grid
/// descriptions by their id in the index's `grids` table.
///
/// Archive files are never rewritten, so the layout of the bytes at a file and offset never
/// changes and needs no invalidation. At most `capacity` layouts are kept; past that the
/// cache starts again. Grids are few and shared by the layouts (one `pl` array per grid).
final class FieldLayoutCache: Sendable {
    let capacity: Int

    private struct State {
        var layouts: [String: FieldLayout] = [:]
        var grids: [Int64: GridDescription] = [:]
    }

    private let state = Mutex(State())

    init(capacity: Int = 200_000) {
        self.capacity = capacity
    }

    static func key(of field: ArchivedField) -> String { "\(field.file)@\(field.offset)" }

    func layout(of field: ArchivedField) -> FieldLayout? {
        state.withLock { $0.layouts[Self.key(of: field)] }
    }

    func insert(_ layout: FieldLayout, of field: ArchivedField) {
        state.withLock { state in
            if state.layouts.count >= capacity { state.layouts.removeAll(keepingCapacity: true) }
            state.layouts[Self.key(of: field)] = layout
        }
    }

    func grid(id: Int64) -> GridDescription? {
        state.withLock { $0.grids[id] }
    }

    func insert(_ grid: GridDescription, id: Int64) {
        state.withLock { state in
            if state.grids.count >= 1024 { state.grids.removeAll() }
            state.grids[id] = grid
        }
    }
}
