/// The coverages of each layout.
extension CoverageJSONWriter {
    /// Per requested point (selection entry), every group's coverage: PointSeries, Position and
    /// VerticalProfile answers.
    ///
    /// A coverage's latitude and longitude are those of the grid point its values were read
    /// at: a group whose fields give different grid points for a requested point (fields on
    /// different grids) is written as one coverage per grid point, in field order.
    mutating func writePointCoverages(to output: inout JSONBytes) throws(CoverageEncodingError) {
        guard let reference = pending.values.min(by: { $0.fieldNumber < $1.fieldNumber })?.selection else {
            pending = [:]
            return
        }
        for field in pending.values where field.selection.count != reference.count {
            throw CoverageEncodingError("field \(field.fieldNumber) answers \(field.selection.count) points, others \(reference.count)")
        }
        for point in 0..<reference.count {
            for group in plan.groups {
                for part in pointParts(of: group, point: point, reference: reference) {
                    try writePointCoverage(part.group, point: point, coordinates: part.coordinates, to: &output)
                }
            }
        }
        pending = [:]
    }

    /// `group` split by the grid point its delivered fields were read at for requested point
    /// `point`, each part with that grid point's coordinates, in the order of the parts' first
    /// fields; fields not delivered go with the first part. One part (the group itself) when
    /// every field was read at the same coordinates.
    private func pointParts(of group: CoveragePlan.Group, point: Int, reference: GridSelection) -> [(
        group: CoveragePlan.Group, coordinates: GeoPoint
    )] {
        var parts: [(group: CoveragePlan.Group, coordinates: GeoPoint)] = []
        var partOf: [GeoPoint: Int] = [:]
        var undelivered: [Int] = []
        for number in group.fieldNumbers {
            guard let field = pending[number] else {
                undelivered.append(number)
                continue
            }
            let coordinates = GeoPoint(latitude: field.selection.latitudes[point], longitude: field.selection.longitudes[point])
            if let part = partOf[coordinates] {
                parts[part].group.fieldNumbers.append(number)
            } else {
                partOf[coordinates] = parts.count
                parts.append((CoveragePlan.Group(fieldNumbers: [number]), coordinates))
            }
        }
        guard !parts.isEmpty else {
            let coordinates = GeoPoint(latitude: reference.latitudes[point], longitude: reference.longitudes[point])
            return [(group, coordinates)]
        }
        guard parts.count > 1 || !undelivered.isEmpty else { return [(group, parts[0].coordinates)] }
        // Fields not delivered join the first part, keeping the group's field order.
        let first = Set(parts[0].group.fieldNumbers + undelivered)
        parts[0].group.fieldNumbers = group.fieldNumbers.filter { first.contains($0) }
        return parts
    }

    private mutating func writePointCoverage(
        _ group: CoveragePlan.Group, point: Int, coordinates: GeoPoint, to output: inout JSONBytes
    ) throws(CoverageEncodingError) {
        let first = plan.fields[group.fieldNumbers[0]]
        let levels = plan.distinctValues(of: "levelist", in: group)
        let metadata = try MarsMetadata.entries(
            keys: first, layout: plan.layout, firstLevel: levels.first.flatMap { $0.isEmpty ? nil : $0 }, firstStep: nil)
        // The axis the values run along within the coverage, and each field's place on it.
        let axisKey: [String]
        let times: [String]
        switch plan.layout {
        case .verticalProfile:
            axisKey = ["levelist"]
            times = [try validTime(of: first)]
        case .pointSeries(timeAxis: .date):
            axisKey = ["date", "time"]
            times = try distinctTimes(in: group)
        default:
            axisKey = ["step"]
            times = try distinctTimes(in: group)
        }
        let positions = axisPositions(of: group, along: axisKey)
        beginCoverage(&output)
        writeMetadata(metadata, to: &output)
        output.raw(",\"type\":\"Coverage\",\"domain\":{\"type\":\"Domain\",\"axes\":{\"latitude\":{\"values\":[")
        output.number(Self.rounded(coordinates.latitude))
        output.raw("]},\"longitude\":{\"values\":[")
        output.number(Self.rounded(coordinates.longitude))
        output.raw("]},\"levelist\":{\"values\":[")
        if case .verticalProfile = plan.layout {
            for (index, level) in levels.enumerated() {
                if index > 0 { output.comma() }
                output.marsValue(MarsScalar(numberOrText: level.isEmpty ? "0" : level))
            }
        } else {
            output.marsValue(MarsScalar(numberOrText: levels.first.flatMap { $0.isEmpty ? nil : $0 } ?? "0"))
        }
        output.raw("]},\"t\":{\"values\":[")
        writeStrings(times, to: &output)
        output.raw("]}}},\"ranges\":{")
        for (index, param) in params(of: group).enumerated() {
            if index > 0 { output.comma() }
            var values = [Double?](repeating: nil, count: positions.total)
            for number in group.fieldNumbers where plan.fields[number]["param"] == param {
                values[positions.place[number]!] = pending[number]?.values[point]
            }
            writeRange(param: param, values: values, axisName: plan.layout == .verticalProfile ? "levelist" : nil, to: &output)
        }
        output.raw("}}")
    }

    /// A MultiPoint or Trajectory coverage: all points of one group.
    mutating func writeGroupCoverage(_ group: CoveragePlan.Group, to output: inout JSONBytes) throws(CoverageEncodingError) {
        let first = plan.fields[group.fieldNumbers[0]]
        let levels = plan.distinctValues(of: "levelist", in: group)
        let steps = plan.distinctValues(of: "step", in: group)
        let metadata = try MarsMetadata.entries(
            keys: first, layout: plan.layout, firstLevel: levels.first.flatMap { $0.isEmpty ? nil : $0 },
            firstStep: steps.first.flatMap { $0.isEmpty ? nil : $0 })
        // Slices: the (level, step) combinations in order; each holds one field per param.
        // Looked up in dictionaries: a group may hold 10,000 fields.
        var slices: [[String]] = []
        var seenSlices = Set<[String]>()
        var fieldNumbers: [[String]: Int] = [:]  // [param, level, step] → the first such field
        for number in group.fieldNumbers {
            let slice = plan.slice(ofField: number)
            if seenSlices.insert(slice).inserted { slices.append(slice) }
            let slot = [plan.fields[number]["param"] ?? ""] + slice
            if fieldNumbers[slot] == nil { fieldNumbers[slot] = number }
        }
        let levelOrder = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let stepOrder = Dictionary(steps.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        slices.sort { (levelOrder[$0[0]] ?? 0, stepOrder[$0[1]] ?? 0) < (levelOrder[$1[0]] ?? 0, stepOrder[$1[1]] ?? 0) }
        let params = params(of: group)
        func field(_ param: String, _ slice: [String]) -> ExtractedField? {
            fieldNumbers[[param] + slice].flatMap { pending[$0] }
        }
        // Each slice's points come from the first of its fields that arrived; every other
        // field of the slice must have been read at the same points.
        var sliceSelections: [GridSelection] = []
        for slice in slices {
            var selection = GridSelection()
            var owner: ExtractedField?
            for param in params {
                guard let found = field(param, slice) else { continue }
                if let owner {
                    try checkSamePoints(found, as: owner)
                } else {
                    selection = found.selection
                    owner = found
                }
            }
            sliceSelections.append(selection)
        }
        beginCoverage(&output)
        writeMetadata(metadata, to: &output)
        output.raw(",\"type\":\"Coverage\",\"domain\":{\"type\":\"Domain\",\"axes\":{")
        if case .multiPoint = plan.layout {
            output.raw("\"t\":{\"values\":[")
            writeStrings([try referenceTime(of: first)], to: &output)
            output.raw("]},")
        }
        output.raw("\"composite\":{\"dataType\":\"tuple\",\"coordinates\":[")
        writeStrings(referencingCoordinates, to: &output)
        output.raw("],\"values\":[")
        var wroteOne = false
        for (slice, selection) in zip(slices, sliceSelections) {
            let level = MarsScalar(numberOrText: slice[0].isEmpty ? "0" : slice[0])
            for point in 0..<selection.count {
                if wroteOne { output.comma() }
                wroteOne = true
                output.open(UInt8(ascii: "["))
                if plan.layout == .trajectory {
                    output.marsValue(MarsTime.normalisedStep(slice[1].isEmpty ? "0" : slice[1]))
                    output.comma()
                }
                output.number(Self.rounded(selection.latitudes[point]))
                output.comma()
                output.number(Self.rounded(selection.longitudes[point]))
                output.comma()
                output.marsValue(level)
                output.open(UInt8(ascii: "]"))
            }
        }
        output.raw("]}}},\"ranges\":{")
        for (index, param) in params.enumerated() {
            if index > 0 { output.comma() }
            var values: [Double?] = []
            for (slice, selection) in zip(slices, sliceSelections) {
                if let field = field(param, slice) {
                    values += field.values
                } else {
                    values += [Double?](repeating: nil, count: selection.count)
                }
            }
            writeRange(param: param, values: values, axisName: nil, to: &output)
        }
        output.raw("}}")
        for number in group.fieldNumbers { pending[number] = nil }
    }

    /// Throws unless `field` was read at the same grid points as `owner`, whose points the
    /// coverage's slice declares: otherwise its values would be written against another
    /// grid's coordinates.
    private func checkSamePoints(_ field: ExtractedField, as owner: ExtractedField) throws(CoverageEncodingError) {
        guard field.selection.latitudes != owner.selection.latitudes || field.selection.longitudes != owner.selection.longitudes
        else { return }
        let name = { (number: Int) in self.parameters.entry(forParam: self.plan.fields[number]["param"] ?? "").shortName }
        let points = { (selection: GridSelection) in "\(selection.count) point\(selection.count == 1 ? "" : "s")" }
        throw CoverageEncodingError(
            "parameters \(name(owner.fieldNumber)) and \(name(field.fieldNumber)) of one coverage lie on different grids "
                + "(\(points(owner.selection)) and \(points(field.selection)) selected, at different places); a "
                + "\(plan.layout.domainType) answer gives one set of points per coverage: request them separately",
            kind: .fieldsOnDifferentGrids)
    }

    // MARK: Pieces

    private func writeMetadata(_ metadata: MarsMetadata.Entries, to output: inout JSONBytes) {
        output.raw("{\"mars:metadata\":{")
        for (index, entry) in metadata.enumerated() {
            if index > 0 { output.comma() }
            output.key(entry.key)
            output.marsValue(entry.value)
        }
        output.raw("}")
    }

    private func writeRange(param: String, values: [Double?], axisName: String?, to output: inout JSONBytes) {
        let name = parameters.entry(forParam: param).shortName
        output.key(name)
        output.raw("{\"type\":\"NdArray\",\"dataType\":\"float\",\"shape\":[")
        output.integer(values.count)
        output.raw("],\"axisNames\":[")
        output.string(axisName ?? name)
        output.raw("],\"values\":[")
        for (index, value) in values.enumerated() {
            if index > 0 { output.comma() }
            output.number(value)
        }
        output.raw("]}")
    }

    private func writeStrings(_ strings: [String], to output: inout JSONBytes) {
        for (index, text) in strings.enumerated() {
            if index > 0 { output.comma() }
            output.string(text)
        }
    }

    /// The group's params in the plan's order.
    private func params(of group: CoveragePlan.Group) -> [String] {
        let present = Set(group.fieldNumbers.map { plan.fields[$0]["param"]! })
        return plan.params.filter { present.contains($0) }
    }

    /// Each field's position along the coverage's axis (the distinct values of `keys`, in order).
    private func axisPositions(of group: CoveragePlan.Group, along keys: [String]) -> (total: Int, place: [Int: Int]) {
        var seen: [[String]: Int] = [:]
        var place: [Int: Int] = [:]
        for number in group.fieldNumbers {
            let value = keys.map { plan.fields[number][$0] ?? "" }
            if seen[value] == nil { seen[value] = seen.count }
            place[number] = seen[value]
        }
        return (seen.count, place)
    }

    /// The valid times of the group's distinct (date, time, step), in order.
    private func distinctTimes(in group: CoveragePlan.Group) throws(CoverageEncodingError) -> [String] {
        var times: [String] = []
        var seen: Set<[String]> = []
        let keys = plan.layout == .pointSeries(timeAxis: .date) ? ["date", "time"] : ["step"]
        for number in group.fieldNumbers {
            let value = keys.map { plan.fields[number][$0] ?? "" }
            guard seen.insert(value).inserted else { continue }
            times.append(try validTime(of: plan.fields[number]))
        }
        return times
    }

    private func referenceTime(of keys: [String: String]) throws(CoverageEncodingError) -> String {
        guard let date = keys["date"], let time = MarsTime(date: date, time: keys["time"]) else {
            throw CoverageEncodingError("date '\(keys["date"] ?? "")' with time '\(keys["time"] ?? "")' is not a date and time")
        }
        return time.isoText
    }

    private func validTime(of keys: [String: String]) throws(CoverageEncodingError) -> String {
        guard let date = keys["date"], let time = MarsTime(date: date, time: keys["time"]),
            let valid = time.adding(step: keys["step"] ?? "0")
        else {
            throw CoverageEncodingError("date '\(keys["date"] ?? "")', time '\(keys["time"] ?? "")' and step '\(keys["step"] ?? "")' are not a time")
        }
        return valid.isoText
    }

    /// Coordinates rounded to 12 decimals, as polytope rounds its axis values.
    static func rounded(_ value: Double) -> Double {
        (value * 1e12).rounded() / 1e12
    }
}
