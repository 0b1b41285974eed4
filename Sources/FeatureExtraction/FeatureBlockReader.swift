import PolytopeCore

/// Reads values out of a `feature` block, recording every problem instead of stopping at the
/// first, so that one answer lists them all.
struct FeatureBlockReader {
    private(set) var problems: [FeatureSpecificationError.Problem] = []

    /// Longitudes beyond this (either sign) are refused: shapes stay on the real line, but no
    /// meaningful shape goes round the Earth more than once.
    static let longitudeLimit = 360.0

    mutating func report(_ path: String, _ message: String) {
        problems.append(.init(path: path, message: message))
    }

    /// "a string", "a list", ... for messages.
    static func kindName(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string(let text): "the string '\(text.count > 30 ? text.prefix(27) + "..." : text)'"
        case .array: "a list"
        case .object: "an object"
        }
    }

    /// Reports every key of `object` not in `allowed`, suggesting the likely one.
    mutating func checkKeys(of object: [String: JSONValue], allowed: [String], hints: [String: String] = [:], at path: String) {
        for key in object.keys.sorted() where !allowed.contains(key) {
            if let hint = hints[key] ?? KeySuggestion.closest(to: key, among: allowed) {
                report("\(path).\(key)", "unknown key (did you mean '\(hint)'?)")
            } else {
                report("\(path).\(key)", "unknown key (known keys: \(allowed.joined(separator: ", ")))")
            }
        }
    }

    /// A number, or nil (reported) when missing or not a number.
    mutating func number(_ value: JSONValue?, at path: String, required: Bool = true) -> Double? {
        guard let value else {
            if required { report(path, "missing (a number is required)") }
            return nil
        }
        guard case .number(let number) = value, number.isFinite else {
            report(path, "expected a number, found \(Self.kindName(of: value))")
            return nil
        }
        return number
    }

    /// A string, or nil (reported) when missing or not a string.
    mutating func string(_ value: JSONValue?, at path: String, required: Bool = true) -> String? {
        guard let value else {
            if required { report(path, "missing (a string is required)") }
            return nil
        }
        guard case .string(let text) = value else {
            report(path, "expected a string, found \(Self.kindName(of: value))")
            return nil
        }
        return text
    }

    /// A list of names (a single string counts as a list of one), or nil (reported).
    mutating func names(_ value: JSONValue, at path: String) -> [String]? {
        switch value {
        case .string(let text): return [text]
        case .array(let items):
            var names: [String] = []
            for (index, item) in items.enumerated() {
                guard case .string(let text) = item else {
                    report("\(path)[\(index)]", "expected an axis name, found \(Self.kindName(of: item))")
                    return nil
                }
                names.append(text)
            }
            return names
        default:
            report(path, "expected a list of axis names, found \(Self.kindName(of: value))")
            return nil
        }
    }

    /// A list of points, each a list of `dimensions` numbers; nil (reported) when malformed.
    mutating func points(_ value: JSONValue?, at path: String, dimensions: Int, axesHint: String) -> [[Double]]? {
        guard let value else {
            report(path, "missing (a list of points \(axesHint) is required)")
            return nil
        }
        guard case .array(let items) = value else {
            report(path, "expected a list of points \(axesHint), found \(Self.kindName(of: value))")
            return nil
        }
        if items.isEmpty {
            report(path, "expected at least one point \(axesHint), found an empty list")
            return nil
        }
        var points: [[Double]] = []
        var valid = true
        for (index, item) in items.enumerated() {
            if let point = coordinates(item, at: "\(path)[\(index)]", dimensions: dimensions, axesHint: axesHint) {
                points.append(point)
            } else {
                valid = false
            }
        }
        return valid ? points : nil
    }

    /// One point: a list of exactly `dimensions` numbers; nil (reported) otherwise.
    mutating func coordinates(_ value: JSONValue, at path: String, dimensions: Int, axesHint: String) -> [Double]? {
        guard case .array(let items) = value else {
            report(path, "expected a point \(axesHint), found \(Self.kindName(of: value))")
            return nil
        }
        guard items.count == dimensions else {
            report(path, "expected \(dimensions) values \(axesHint), found \(items.count)")
            return nil
        }
        var numbers: [Double] = []
        for (index, item) in items.enumerated() {
            guard case .number(let number) = item, number.isFinite else {
                report("\(path)[\(index)]", "expected a number, found \(Self.kindName(of: item))")
                return nil
            }
            numbers.append(number)
        }
        return numbers
    }

    /// The geographic point of a point's coordinates, checking latitude and longitude ranges;
    /// nil (reported) when out of range.
    mutating func geoPoint(latitude: Double, longitude: Double, at path: String) -> GeoPoint? {
        var valid = true
        if !(-90...90).contains(latitude) {
            report(path, "latitude \(GeoPoint.shortText(latitude)) is outside [-90, 90]")
            valid = false
        }
        if abs(longitude) > Self.longitudeLimit {
            report(path, "longitude \(GeoPoint.shortText(longitude)) is outside [-360, 360]")
            valid = false
        }
        return valid ? GeoPoint(latitude: latitude, longitude: longitude) : nil
    }
}
