/// Writes a feature's answer as the CoverageJSON `CoverageCollection` covjsonkit produces,
/// incrementally: each `append` returns the bytes of the coverages it completed, so a large
/// answer streams coverage by coverage (multi-point and trajectory answers hold one coverage
/// in memory when fields arrive in `CoveragePlan.suggestedFieldOrder`; point answers, small by
/// nature, are written when their last field arrives).
///
/// Use: make a `CoveragePlan` from the fields found, then `append` each field's values (any
/// order), write what each call returns, and write what `finish` returns. Concatenated, the
/// chunks are one JSON document.
package struct CoverageJSONWriter: Sendable {
    package let plan: CoveragePlan
    let parameters: ParameterDescriptions
    /// Fields received and not yet written.
    var pending: [Int: ExtractedField] = [:]
    /// Fields still to come, per group.
    var missingInGroup: [Int]
    /// The next group to write (multi-point and trajectory layouts).
    var nextGroup = 0
    var hasStarted = false
    var coverageCount = 0
    var received: Set<Int> = []

    package init(plan: CoveragePlan, parameters: ParameterDescriptions = .standard) {
        self.plan = plan
        self.parameters = parameters
        missingInGroup = plan.groups.map(\.fieldNumbers.count)
    }

    /// Adds one field's values; returns the bytes now ready (possibly none).
    package mutating func append(_ field: ExtractedField) throws(CoverageEncodingError) -> [UInt8] {
        guard field.fieldNumber >= 0, field.fieldNumber < plan.fields.count else {
            throw CoverageEncodingError("field number \(field.fieldNumber) is not in the plan's \(plan.fields.count) fields")
        }
        guard received.insert(field.fieldNumber).inserted else {
            throw CoverageEncodingError("field \(field.fieldNumber) was given twice")
        }
        guard field.values.count == field.selection.count else {
            throw CoverageEncodingError("field \(field.fieldNumber) has \(field.values.count) values for \(field.selection.count) grid points")
        }
        pending[field.fieldNumber] = field
        missingInGroup[plan.groupOfField[field.fieldNumber]] -= 1
        var output = JSONBytes()
        if plan.isPerPoint {
            if received.count == plan.fields.count { try writePointCoverages(to: &output) }
        } else {
            while nextGroup < plan.groups.count, missingInGroup[nextGroup] == 0 {
                try writeGroupCoverage(plan.groups[nextGroup], to: &output)
                nextGroup += 1
            }
        }
        return output.take()
    }

    /// Writes whatever is left (fields never given are written as nulls) and closes the
    /// document with `referencing` and `parameters`.
    package mutating func finish() throws(CoverageEncodingError) -> [UInt8] {
        var output = JSONBytes()
        if plan.isPerPoint {
            if received.count < plan.fields.count { try writePointCoverages(to: &output) }
        } else {
            while nextGroup < plan.groups.count {
                try writeGroupCoverage(plan.groups[nextGroup], to: &output)
                nextGroup += 1
            }
        }
        startIfNeeded(&output)
        output.raw("],\"referencing\":[{\"coordinates\":[")
        for (index, name) in referencingCoordinates.enumerated() {
            if index > 0 { output.comma() }
            output.string(name)
        }
        output.raw("],\"system\":{\"type\":\"GeographicCRS\",\"id\":\"http://www.opengis.net/def/crs/OGC/1.3/CRS84\"}}],\"parameters\":{")
        for (index, param) in plan.params.enumerated() {
            if index > 0 { output.comma() }
            let entry = parameters.entry(forParam: param)
            output.key(entry.shortName)
            output.raw("{\"type\":\"Parameter\",\"description\":{\"en\":")
            output.string(entry.description)
            output.raw("},\"unit\":{\"symbol\":")
            output.string(entry.unit)
            output.raw("},\"observedProperty\":{\"id\":")
            output.string(entry.shortName)
            output.raw(",\"label\":{\"en\":")
            output.string(entry.name)
            output.raw("}}}")
        }
        output.raw("}}")
        return output.take()
    }

    /// The whole answer at once (tests, small answers).
    package static func encode(
        plan: CoveragePlan, fields: [ExtractedField], parameters: ParameterDescriptions = .standard
    ) throws(CoverageEncodingError) -> [UInt8] {
        var writer = CoverageJSONWriter(plan: plan, parameters: parameters)
        var bytes: [UInt8] = []
        for field in fields { bytes += try writer.append(field) }
        bytes += try writer.finish()
        return bytes
    }

    /// The tuple coordinates covjsonkit's encoder for the layout declares in `referencing`.
    var referencingCoordinates: [String] {
        switch plan.layout {
        case .multiPoint(let names): names
        case .trajectory: ["t", "x", "y", "z"]
        case .pointSeries, .position, .verticalProfile: ["latitude", "longitude", "levelist"]
        }
    }

    /// Writes the collection's head before the first coverage, and the separator before others.
    mutating func startIfNeeded(_ output: inout JSONBytes) {
        guard !hasStarted else { return }
        hasStarted = true
        output.raw("{\"type\":\"CoverageCollection\",\"domainType\":")
        output.string(plan.layout.domainType)
        output.raw(",\"coverages\":[")
    }

    mutating func beginCoverage(_ output: inout JSONBytes) {
        startIfNeeded(&output)
        if coverageCount > 0 { output.comma() }
        coverageCount += 1
    }
}
