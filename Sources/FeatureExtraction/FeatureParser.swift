import PolytopeCore

/// Turns a request's `feature` block into a `FeatureSpecification`, checking it the way
/// polytope-mars 0.3.14 does (same keys, same defaults) and reporting every problem at once.
package enum FeatureParser {
    /// Parses and validates `feature`, given the request's other MARS keys and the limits.
    ///
    /// Throws a `FeatureSpecificationError` listing every problem found: unknown or misspelt
    /// keys (with the likely one), values of the wrong kind, latitudes outside [-90, 90],
    /// steps or levels named twice, self-intersecting polygons, too many points, too large an
    /// area.
    package static func parse(
        _ feature: JSONValue, context: FeatureRequestContext = .init(), limits: FeatureLimits = .init()
    ) throws(FeatureSpecificationError) -> FeatureSpecification {
        var parsing = FeatureParsing(context: context, limits: limits)
        let specification = parsing.parse(feature)
        guard parsing.reader.problems.isEmpty, let specification else {
            throw FeatureSpecificationError(problems: parsing.reader.problems)
        }
        return specification
    }
}

/// One parse of one feature block: the reader collecting problems, and the request around it.
struct FeatureParsing {
    var reader = FeatureBlockReader()
    let context: FeatureRequestContext
    let limits: FeatureLimits

    init(context: FeatureRequestContext, limits: FeatureLimits) {
        self.context = context
        self.limits = limits
    }

    mutating func parse(_ feature: JSONValue) -> FeatureSpecification? {
        guard case .object(let block) = feature else {
            reader.report("feature", "expected an object with a 'type' key, found \(FeatureBlockReader.kindName(of: feature))")
            return nil
        }
        guard let typeName = reader.string(block["type"], at: "feature.type") else { return nil }
        guard let type = FeatureType(rawValue: typeName) else {
            let suggestion = KeySuggestion.closest(to: typeName, among: FeatureType.allCases.map(\.rawValue))
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            reader.report("feature.type", "unknown feature type '\(typeName)'\(hint); known types: \(FeatureType.knownNames)")
            return nil
        }
        switch type {
        case .position: return parsePosition(block)
        case .timeseries: return parseTimeseries(block)
        case .verticalprofile: return parseVerticalProfile(block)
        case .boundingbox: return parseBoundingBox(block)
        case .polygon: return parsePolygon(block)
        case .circle: return parseCircle(block)
        case .frame: return parseFrame(block)
        case .trajectory: return parseTrajectory(block)
        case .shapefile:
            reader.report(
                "feature.type",
                "the shapefile feature is not supported by this server (it reads a file on the server); send the shape as a polygon feature"
            )
            return nil
        }
    }

    // MARK: Shared pieces

    /// The positions of latitude and longitude in a point, from an optional `axes` list of
    /// exactly those two names (default `[latitude, longitude]`).
    mutating func latitudeLongitudeOrder(_ axes: JSONValue?, at path: String) -> (latitude: Int, longitude: Int)? {
        guard let axes else { return (0, 1) }
        guard let names = reader.names(axes, at: path) else { return nil }
        guard names.count == 2, let latitude = names.firstIndex(of: "latitude"), let longitude = names.firstIndex(of: "longitude") else {
            reader.report(path, "expected the two axes 'latitude' and 'longitude' in the order points give them, found \(names)")
            return nil
        }
        return (latitude, longitude)
    }

    /// Geographic points from coordinate lists, reporting out-of-range latitudes.
    mutating func geoPoints(_ points: [[Double]], latitude: Int, longitude: Int, at path: String) -> [GeoPoint]? {
        var result: [GeoPoint] = []
        var valid = true
        for (index, point) in points.enumerated() {
            if let geoPoint = reader.geoPoint(latitude: point[latitude], longitude: point[longitude], at: "\(path)[\(index)]") {
                result.append(geoPoint)
            } else {
                valid = false
            }
        }
        return valid ? result : nil
    }

    /// Reports a list of more than `limits.maxPoints` points.
    mutating func checkPointCount(_ count: Int, at path: String, noun: String = "points") {
        if count > limits.maxPoints {
            reader.report(path, "\(count) \(noun), more than the limit of \(limits.maxPoints)")
        }
    }

    /// Reports an area above `limits.maxAreaSquareKilometres`.
    mutating func checkArea(_ area: Double, at path: String) {
        if area > limits.maxAreaSquareKilometres {
            reader.report(
                path,
                "covers \(Self.areaText(area)) km² on the sphere, more than the limit of \(Self.areaText(limits.maxAreaSquareKilometres)) km²"
            )
        }
    }

    static func areaText(_ area: Double) -> String {
        area >= 100 ? String(Int64(area.rounded())) : String((area * 100).rounded() / 100)
    }

    /// A `range` block: `{start, end[, interval]}` with start <= end, interval > 0.
    mutating func span(_ value: JSONValue, at path: String, minimum: Double? = nil) -> ValueSpan? {
        guard case .object(let block) = value else {
            reader.report(path, "expected an object with 'start', 'end' and optionally 'interval', found \(FeatureBlockReader.kindName(of: value))")
            return nil
        }
        reader.checkKeys(of: block, allowed: ["start", "end", "interval"], at: path)
        let start = reader.number(block["start"], at: "\(path).start")
        let end = reader.number(block["end"], at: "\(path).end")
        let interval = reader.number(block["interval"], at: "\(path).interval", required: false)
        guard let start, let end else { return nil }
        var valid = true
        if let minimum, start < minimum {
            reader.report("\(path).start", "must be at least \(GeoPoint.shortText(minimum)), found \(GeoPoint.shortText(start))")
            valid = false
        }
        if end < start {
            reader.report(path, "end \(GeoPoint.shortText(end)) is before start \(GeoPoint.shortText(start))")
            valid = false
        }
        if let interval, interval <= 0 {
            reader.report("\(path).interval", "must be positive, found \(GeoPoint.shortText(interval))")
            valid = false
        }
        return valid ? ValueSpan(start: start, end: end, interval: interval) : nil
    }
}
