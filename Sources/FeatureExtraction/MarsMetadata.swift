/// The `mars:metadata` object covjsonkit writes on each coverage, rebuilt from a field's keys.
///
/// covjsonkit copies the keys of the result tree in the tree's (FDB's, alphabetical) order,
/// with `date` and `time` merged into `Forecast date`, then sets or removes a few keys per
/// layout (`number` and `levelist` are added at the end when the tree has no such axis).
enum MarsMetadata {
    typealias Entries = [(key: String, value: MarsScalar)]

    /// The metadata of a coverage whose first field has `keys`, with the coverage's first level
    /// and step (the tree walk keeps the first value of spread axes).
    static func entries(
        keys: [String: String], layout: CoverageLayout, firstLevel: String?, firstStep: String?
    ) throws(CoverageEncodingError) -> Entries {
        guard let date = keys["date"], let reference = MarsTime(date: date, time: keys["time"]) else {
            throw CoverageEncodingError("date '\(keys["date"] ?? "")' with time '\(keys["time"] ?? "")' is not a date and time")
        }
        var entries: Entries = []
        for key in keys.keys.sorted() where key != "param" && key != "time" && key != "latitude" && key != "longitude" {
            switch key {
            case "date": entries.append(("Forecast date", .text(reference.isoText)))
            case "levelist": entries.append((key, MarsScalar(numberOrText: firstLevel ?? keys[key]!)))
            case "step": entries.append((key, MarsTime.normalisedStep(firstStep ?? keys[key]!)))
            case "number": entries.append((key, MarsScalar(numberOrText: keys[key]!)))
            default: entries.append((key, .text(keys[key]!)))
            }
        }
        let number = keys["number"].map { MarsScalar(numberOrText: $0) } ?? .integer(0)
        let level = (firstLevel ?? keys["levelist"]).map { MarsScalar(numberOrText: $0) } ?? .integer(0)
        let step = MarsTime.normalisedStep(firstStep ?? keys["step"] ?? "0")
        switch layout {
        case .pointSeries(timeAxis: .step):
            set("number", number, in: &entries)
            set("levelist", level, in: &entries)
            remove("step", from: &entries)
        case .pointSeries(timeAxis: .date):
            set("number", number, in: &entries)
            set("levelist", level, in: &entries)
            remove("Forecast date", from: &entries)
        case .position:
            set("number", number, in: &entries)
            remove("step", from: &entries)
        case .verticalProfile:
            set("number", number, in: &entries)
            set("step", step, in: &entries)
        case .multiPoint:
            set("number", number, in: &entries)
            set("step", step, in: &entries)
        case .trajectory:
            set("number", number, in: &entries)
            remove("levelist", from: &entries)
        }
        return entries
    }

    /// Python's `dict[key] = value`: replaces in place, or appends.
    private static func set(_ key: String, _ value: MarsScalar, in entries: inout Entries) {
        if let index = entries.firstIndex(where: { $0.key == key }) {
            entries[index].value = value
        } else {
            entries.append((key, value))
        }
    }

    private static func remove(_ key: String, from entries: inout Entries) {
        entries.removeAll { $0.key == key }
    }
}
