/// How the fields of a request group into coverages, the covjsonkit way, decided before any
/// value is read: which fields make each coverage, and in what order coverages are written.
///
/// A coverage gathers the fields that differ only in the keys its layout spreads over axes or
/// ranges — `param` always; `step` for a timeseries or position (the `t` axis), `levelist` for
/// a vertical profile or multi-point answer, `levelist` and `step` for a trajectory; `date` and
/// `time` too for a timeseries along dates. Coverages are ordered by date, time, level,
/// number, step, then the remaining keys, each in the order its values first appear in the
/// field list (the request's order); point layouts write, for each requested point, all its
/// coverages (covjsonkit's order).
package struct CoveragePlan: Sendable {
    /// One coverage (per requested point, for point layouts).
    package struct Group: Hashable, Sendable {
        /// The fields that make it, in field-list order.
        package var fieldNumbers: [Int]
    }

    package let layout: CoverageLayout
    /// Each field's MARS keys as text (`date`, `time`, `step`, `param`, `levelist`, `number`,
    /// `class`, `stream`, ...), in the order the datasource will read them.
    package let fields: [[String: String]]
    package let groups: [Group]
    /// The group of each field.
    let groupOfField: [Int]
    /// The parameters in order of first appearance.
    package let params: [String]

    /// Groups `fields` for `layout`; throws when a field lacks `param` or `date`.
    package init(layout: CoverageLayout, fields: [[String: String]]) throws(CoverageEncodingError) {
        self.layout = layout
        self.fields = fields
        for (number, keys) in fields.enumerated() {
            guard keys["param"] != nil, keys["date"] != nil else {
                throw CoverageEncodingError("field \(number) has no 'param' or no 'date' key; every field needs both")
            }
        }
        let spread = Self.spreadKeys(of: layout)
        var otherKeys = Set<String>()
        for keys in fields { otherKeys.formUnion(keys.keys.filter { !spread.contains($0) }) }
        let priority = ["date", "time", "levelist", "number", "step"]
        let keyOrder = priority.filter { otherKeys.contains($0) } + otherKeys.subtracting(priority).sorted()
        // Rank of each value of each key by first appearance.
        var ranks: [String: [String: Int]] = [:]
        for keys in fields {
            for key in keyOrder {
                let value = keys[key] ?? ""
                if ranks[key, default: [:]][value] == nil { ranks[key, default: [:]][value] = ranks[key]?.count ?? 0 }
            }
        }
        var groupNumbers: [[Int]: Int] = [:]
        var sortKeys: [[Int]] = []
        var members: [[Int]] = []
        var groupOfField: [Int] = []
        for keys in fields {
            let sortKey = keyOrder.map { ranks[$0]?[keys[$0] ?? ""] ?? 0 }
            if let group = groupNumbers[sortKey] {
                members[group].append(groupOfField.count)
                groupOfField.append(group)
            } else {
                groupNumbers[sortKey] = members.count
                sortKeys.append(sortKey)
                members.append([groupOfField.count])
                groupOfField.append(members.count - 1)
            }
        }
        let order = sortKeys.indices.sorted { sortKeys[$0].lexicographicallyPrecedes(sortKeys[$1]) }
        var position = [Int](repeating: 0, count: order.count)
        for (rank, group) in order.enumerated() { position[group] = rank }
        groups = order.map { Group(fieldNumbers: members[$0]) }
        self.groupOfField = groupOfField.map { position[$0] }
        var params: [String] = []
        var seenParams = Set<String>()
        for keys in fields where seenParams.insert(keys["param"]!).inserted { params.append(keys["param"]!) }
        self.params = params
    }

    /// The most values the writer holds at once when field `n` has `points(n)` selected points:
    /// every field's for point layouts (their coverages are written at the end), the largest
    /// group's for multi-point and trajectory answers (written coverage by coverage).
    package func heldValues(points: (Int) -> Int) -> Int {
        if isPerPoint { return fields.indices.reduce(0) { $0 &+ points($1) } }
        return groups.map { $0.fieldNumbers.reduce(0) { $0 &+ points($1) } }.max() ?? 0
    }

    /// The order in which reading the fields lets the writer stream coverage by coverage,
    /// holding one coverage in memory (for multi-point and trajectory answers).
    package var suggestedFieldOrder: [Int] { groups.flatMap(\.fieldNumbers) }

    /// The keys a layout spreads within one coverage.
    static func spreadKeys(of layout: CoverageLayout) -> Set<String> {
        switch layout {
        case .pointSeries(timeAxis: .step), .position: ["param", "step"]
        case .pointSeries(timeAxis: .date): ["param", "date", "time"]
        case .verticalProfile, .multiPoint: ["param", "levelist"]
        case .trajectory: ["param", "levelist", "step"]
        }
    }

    /// Whether coverages are made per requested point.
    var isPerPoint: Bool {
        switch layout {
        case .pointSeries, .position, .verticalProfile: true
        case .multiPoint, .trajectory: false
        }
    }

    /// The distinct values of `key` among a group's fields, in field order ("" when absent).
    func distinctValues(of key: String, in group: Group) -> [String] {
        var values: [String] = []
        var seen = Set<String>()
        for number in group.fieldNumbers {
            let value = fields[number][key] ?? ""
            if seen.insert(value).inserted { values.append(value) }
        }
        return values
    }
}
