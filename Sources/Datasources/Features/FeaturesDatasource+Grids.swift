import FeatureExtraction

extension FeaturesDatasource {
    /// The most coverages whose mixed grids a refusal names.
    static let listedGridConflictLimit = 3

    /// Why `plan`'s answer cannot be written when fields of one MultiPoint or Trajectory
    /// coverage lie on different grids (`grid(n)` being field `n`'s grid, nil when not known):
    /// the parameters, their fields and grids, and what to do; nil when no coverage mixes grids.
    static func differentGridsMessage(plan: CoveragePlan, fields: [ArchivedFieldKeys], grid: (Int) -> GridDescription?) -> String? {
        let conflicts = plan.gridConflicts(grid: grid)
        guard !conflicts.isEmpty else { return nil }
        let table = ParameterDescriptions.standard
        func describe(_ number: Int) -> String {
            let keys = fields[number].keys
            let name = table.entry(forParam: keys["param"] ?? "").shortName
            let identity = ["date", "time", "number", "levelist", "step"].compactMap { key in keys[key].map { "\(key)=\($0)" } }
            return "\(name) (\(identity.joined(separator: ", "))) on a \(grid(number)?.summary ?? "grid")"
        }
        let listed = conflicts.prefix(listedGridConflictLimit).map { "\(describe($0.first)) and \(describe($0.other))" }
        let more = conflicts.count > listedGridConflictLimit ? " (and \(conflicts.count - listedGridConflictLimit) more coverages)" : ""
        return "parameters of one coverage lie on different grids: \(listed.joined(separator: "; "))\(more); a "
            + "\(plan.layout.domainType) answer gives all parameters of a coverage at the same points: request these parameters separately"
    }
}
