import MarsLanguage

/// Turns a normalised request into a `RetrievalPlan`, given which keys and values the archive
/// holds (its catalog) and a way to look one field up by its canonical key.
///
/// Pure apart from `lookup`: the same catalog, index and request always give the same plan.
/// The work is bounded before it starts: at most `maximumFields` combinations or fields (kept
/// fields, with a filter), at most `maximumLookups` lookups.
struct RetrievalPlanner: Sendable {
    /// For each schema (`FieldKey.schema`), the values each of its keys has in the archive.
    typealias Catalog = [String: [String: [String]]]

    var maximumFields: Int
    var maximumLookups: Int

    /// Keys taken from requests even when no archived field has them, so that asking for
    /// `number=1/2` from an archive without ensemble members finds nothing instead of
    /// ignoring `number`.
    static let marsKeys = Set(MarsLanguageSettings.standardKinds.keys)

    /// How one schema's canonical keys are filled: from the request's key at an index, or
    /// from the archive's values of a key the request leaves out.
    private enum Source {
        case request(Int)
        case wildcard(Int)
    }

    /// One schema the request can match.
    private struct SchemaPlan {
        var sources: [(key: String, source: Source)]
        /// The archive's values of each request key, for skipping combinations at once.
        var held: [Set<String>]
        /// The values of the keys the request leaves out, in the archive's order.
        var wildcardValues: [[String]]
    }

    /// The plan of `request`: every combination of its values (and of the archive's values of
    /// the keys it leaves out) looked up with `lookup`. With `keep`, only the fields it keeps are
    /// returned and counted against `maximumFields` (a combination whose fields it all drops
    /// still counts as found, not missing); the lookups stay bounded by `maximumLookups`.
    func plan(
        _ request: NormalisedRequest, catalog: Catalog, keep: (@Sendable (ArchivedField) -> Bool)? = nil,
        lookup: (String) throws -> ArchivedField?
    ) throws -> RetrievalPlan {
        let archiveKeys = Set(catalog.values.flatMap(\.keys))
        var selection: [NormalisedRequest.Field] = []
        var ignored: [String] = []
        for field in request.fields {
            guard archiveKeys.contains(field.key) || Self.marsKeys.contains(field.key) else {
                ignored.append(field.key)
                continue
            }
            if field.values == ["all"] { continue }
            selection.append(field)
        }
        let count = try combinationCount(selection.map(\.values.count))
        let schemas = try schemaPlans(selection, catalog: catalog, combinations: count)
        var fields: [ArchivedField] = []
        var missing: [String] = []
        var positions = [Int](repeating: 0, count: selection.count)
        for _ in 0..<count {
            let values = zip(selection, positions).map { $0.values[$1] }
            var found = false
            for schema in schemas where zip(schema.held, values).allSatisfy({ $0.contains($1) }) {
                try Self.forEachCombination(of: schema.wildcardValues) { wildcards in
                    // Appended piece by piece: this runs once per candidate field.
                    var key = ""
                    key.reserveCapacity(256)
                    for (position, (name, source)) in schema.sources.enumerated() {
                        if position > 0 { key.append(",") }
                        key.append(name)
                        key.append("=")
                        switch source {
                        case .request(let index): key.append(values[index])
                        case .wildcard(let index): key.append(wildcards[index])
                        }
                    }
                    guard let field = try lookup(key) else { return }
                    found = true
                    if let keep, !keep(field) { return }
                    fields.append(field)
                    guard fields.count <= maximumFields else {
                        throw GribArchiveError(
                            .tooManyFields,
                            "the request matches more than \(maximumFields) fields, the most one request may return; split the request")
                    }
                }
            }
            if !found {
                missing.append(selection.isEmpty ? "(any field)" : zip(selection, values).map { "\($0.key)=\($1)" }.joined(separator: ","))
            }
            Self.advance(&positions, limits: selection.map(\.values.count))
        }
        return RetrievalPlan(fields: fields, missing: missing, requestedCount: count, ignoredKeys: ignored)
    }

    // MARK: Bounds

    private func combinationCount(_ counts: [Int]) throws -> Int {
        var count = 1
        for each in counts {
            let (product, overflow) = count.multipliedReportingOverflow(by: each)
            guard !overflow, product <= maximumFields else {
                throw GribArchiveError(
                    .tooManyFields,
                    "the request asks for more than \(maximumFields) fields, the most one request may return; split the request")
            }
            count = product
        }
        return count
    }

    /// The schemas that have every key of `selection`, with the lookups they cost checked
    /// against `maximumLookups`.
    private func schemaPlans(_ selection: [NormalisedRequest.Field], catalog: Catalog, combinations: Int) throws -> [SchemaPlan] {
        var plans: [SchemaPlan] = []
        var lookups = 0
        var leftOut: Set<String> = []
        let requested = Set(selection.map(\.key))
        for schema in catalog.keys.sorted() {
            let keyValues = catalog[schema]!
            guard selection.allSatisfy({ keyValues[$0.key] != nil }) else { continue }
            let held = selection.map { Set(keyValues[$0.key]!) }
            let wildcardKeys = keyValues.keys.filter { !requested.contains($0) }.sorted()
            let wildcardValues = wildcardKeys.map { keyValues[$0]! }
            var cost = 1
            var overflow = false
            for count in zip(selection, held).map({ field, held in field.values.count(where: { held.contains($0) }) }) + wildcardValues.map(\.count) {
                (cost, overflow) = cost.multipliedReportingOverflow(by: count)
                if overflow { break }
            }
            guard cost > 0 || overflow else { continue }
            (lookups, overflow) = overflow ? (Int.max, true) : lookups.addingReportingOverflow(cost)
            leftOut.formUnion(wildcardKeys)
            guard !overflow, lookups <= maximumLookups else {
                let keys = leftOut.sorted().joined(separator: ", ")
                throw GribArchiveError(
                    .tooManyFields,
                    "the request leaves out \(keys), which have too many values in the archive to try them all; give \(leftOut.count == 1 ? "it" : "them") in the request, or split it"
                )
            }
            let sources = keyValues.keys.sorted().map { key -> (key: String, source: Source) in
                if let index = selection.firstIndex(where: { $0.key == key }) { return (key, .request(index)) }
                return (key, .wildcard(wildcardKeys.firstIndex(of: key)!))
            }
            plans.append(SchemaPlan(sources: sources, held: held, wildcardValues: wildcardValues))
        }
        return plans
    }

    // MARK: Combinations

    /// Calls `body` with every combination of `values` (the first list varying slowest); once
    /// with no values when `values` is empty.
    private static func forEachCombination(of values: [[String]], _ body: ([String]) throws -> Void) throws {
        guard values.allSatisfy({ !$0.isEmpty }) else { return }
        var positions = [Int](repeating: 0, count: values.count)
        repeat {
            try body(zip(values, positions).map { $0[$1] })
        } while advance(&positions, limits: values.map(\.count))
    }

    /// Moves `positions` to the next combination (the last position fastest); false after the last.
    @discardableResult
    private static func advance(_ positions: inout [Int], limits: [Int]) -> Bool {
        for index in positions.indices.reversed() {
            positions[index] += 1
            if positions[index] < limits[index] { return true }
            positions[index] = 0
        }
        return false
    }

    /// Values in the order users expect: numbers by value (`6` before `12`), then words.
    static func ordered(_ values: some Sequence<String>) -> [String] {
        values.sorted { left, right in
            switch (Double(left), Double(right)) {
            case (let l?, let r?) where l != r: return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return left < right
            }
        }
    }
}
