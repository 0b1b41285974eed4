import FeatureExtraction
import GribArchive
import NIOCore
import PolytopeCore

extension FeaturesDatasource {
    /// The most values read in one batch (fields × selected points), which bounds the memory
    /// a request holds besides the answer's pending coverages.
    static let valuesPerBatch = 500_000
    /// The most fields read in one batch.
    static let fieldsPerBatch = 256

    /// What a field's selection depends on: its grid and, for paths with levels or steps,
    /// its level and step.
    struct SelectionKey: Hashable {
        var grid: GridDescription
        var variant: GridSelector.Variant
    }

    /// Plans, reads and writes the answer of `query`: the fields found, their selections
    /// (one per grid and variant), then batches of fields in the writer's order, their values
    /// appended to the CoverageJSON writer and its bytes streamed to `output`.
    func extract(_ query: FeatureQuery, into output: some ByteSink) async throws {
        let archive = try opener.archive()
        let plan = try await archive.retrievalPlan(for: query.request, keeping: query.archiveFilter)
        let (fields, missingValues) = query.restrict(plan.fields.map(ArchivedFieldKeys.init))
        if let message = Self.missingMessage(plan: plan, missingValues: missingValues, found: fields.count) {
            throw PolytopeError(.notFound, message)
        }
        let coveragePlan = try CoveragePlan(layout: query.specification.layout, fields: fields.map(\.keys))
        let order = coveragePlan.suggestedFieldOrder
        let layouts = try await archive.layouts(of: fields.map(\.field))
        if let message = Self.differentGridsMessage(plan: coveragePlan, fields: fields, grid: { layouts[$0].grid }) {
            throw PolytopeError.invalidRequest(message)
        }
        var selections: [SelectionKey: GridSelection] = [:]
        var keys: [SelectionKey] = []
        keys.reserveCapacity(fields.count)
        for (field, layout) in zip(fields, layouts) {
            guard let grid = layout.grid else { throw PolytopeError.invalidRequest(Self.noGridMessage(field: field, layout: layout)) }
            let variant = GridSelector.variant(
                of: query.specification.shape, level: field.keys["levelist"].flatMap { Double($0) },
                step: field.keys["step"].flatMap { FeatureQuery.number($0, key: "step") })
            let key = SelectionKey(grid: grid, variant: variant)
            if selections[key] == nil {
                selections[key] = try GridSelector.select(query.specification.shape, on: try geometries.geometry(of: grid), variant: variant)
            }
            keys.append(key)
        }
        let held = coveragePlan.heldValues { selections[keys[$0]]!.count }
        if held > configuration.maxValues {
            throw PolytopeError.invalidRequest(
                "the answer would hold \(held) values at once (the selected points times the fields of one coverage), more than "
                    + "this datasource's limit of \(configuration.maxValues) (max-values); ask for a smaller area, or fewer levels, "
                    + "steps or parameters per request")
        }
        var writer = CoverageJSONWriter(plan: coveragePlan)
        var pending: [UInt8] = []
        var start = 0
        while start < order.count {
            try Task.checkCancellation()
            let key = keys[order[start]]
            let selection = selections[key]!
            let limit = min(Self.fieldsPerBatch, max(1, Self.valuesPerBatch / max(1, selection.count)))
            var end = start + 1
            while end < order.count, end - start < limit, keys[order[end]] == key { end += 1 }
            let batch = Array(order[start..<end])
            let values =
                selection.isEmpty
                ? Array(repeating: [], count: batch.count)
                : try await archive.values(at: selection.indices, of: batch.map { fields[$0].field }, layouts: batch.map { layouts[$0] })
            for (number, fieldValues) in zip(batch, values) {
                pending += try writer.append(ExtractedField(fieldNumber: number, selection: selection, values: fieldValues))
                if pending.count >= chunkLength {
                    try await output.write(ByteBuffer(bytes: pending))
                    pending.removeAll(keepingCapacity: true)
                }
            }
            start = end
        }
        pending += try writer.finish()
        try await output.write(ByteBuffer(bytes: pending))
    }
}
