/// Which fields of a coverage must lie on one grid.
extension CoveragePlan {
    /// Two fields of one coverage that the layout writes against one set of points but that
    /// lie on different grids.
    package struct GridConflict: Hashable, Sendable {
        /// The field whose points the coverage would declare (the first of its slice).
        package var first: Int
        /// A later field of the same slice on another grid.
        package var other: Int

        package init(first: Int, other: Int) {
            self.first = first
            self.other = other
        }
    }

    /// The slice of a MultiPoint or Trajectory coverage field `number` belongs to: its level,
    /// and for trajectories its step. The fields of one slice share the slice's points.
    func slice(ofField number: Int) -> [String] {
        let keys = fields[number]
        return [keys["levelist"] ?? "", layout == .trajectory ? keys["step"] ?? "" : ""]
    }

    /// For MultiPoint and Trajectory layouts, the first pair of fields of each coverage whose
    /// slice would mix grids (`grid(n)` being field `n`'s grid, nil when not known: such fields
    /// are left out). Empty for point layouts, which write one coverage per grid point read.
    package func gridConflicts<Grid: Hashable>(grid: (Int) -> Grid?) -> [GridConflict] {
        guard !isPerPoint else { return [] }
        var conflicts: [GridConflict] = []
        for group in groups {
            var firstOfSlice: [[String]: (number: Int, grid: Grid)] = [:]
            for number in group.fieldNumbers {
                guard let fieldGrid = grid(number) else { continue }
                let slice = slice(ofField: number)
                if let first = firstOfSlice[slice] {
                    if first.grid != fieldGrid {
                        conflicts.append(GridConflict(first: first.number, other: number))
                        break
                    }
                } else {
                    firstOfSlice[slice] = (number, fieldGrid)
                }
            }
        }
        return conflicts
    }
}
