import Foundation
import PolytopeCore

/// An OGC API - EDR data query (`position`, `area`, `cube`, `trajectory`, `radius`) turned into
/// the feature request the `features` datasource answers: a MARS request plus a polytope-mars
/// `feature` block, points written `[latitude, longitude]` (WKT gives longitude first).
///
/// | EDR | feature request |
/// | --- | --- |
/// | `position?coords=POINT(lon lat)` or `MULTIPOINT` | `timeseries` of each point along `step` |
/// | `area?coords=POLYGON((lon lat, ...))` or `MULTIPOLYGON` | `polygon` (no holes) |
/// | `cube?bbox=minlon,minlat,maxlon,maxlat` | `boundingbox` |
/// | `trajectory?coords=LINESTRING(lon lat, ...)` | `trajectory` inflated by `within` (default 0.5°) |
/// | `radius?coords=POINT(lon lat)&within=R&within-units=km` | `circle` of R converted to degrees of arc |
/// | `parameter-name=2t,msl` | `param: [2t, msl]` |
/// | `datetime=2025-01-01T12:00:00Z` (or a date, or `start/end`) | `date` (a range for an interval), `time` |
/// | `z=500,850` | `levelist: [500, 850]` |
/// | any other `key=v1,v2` (`step`, `class`, `number`, ...) | the MARS key `key: [v1, v2]` |
///
/// Every problem of a query is found at once, for one 400 naming them all.
struct EDRQuery: Sendable, Equatable {
    /// The query types this front answers.
    enum Kind: String, Sendable, CaseIterable {
        case position, area, cube, trajectory, radius
    }

    /// Why a query cannot be answered: every problem, for the user.
    struct Problems: Error, Equatable {
        var messages: [String]
        var message: String { messages.joined(separator: "; ") }
    }

    var kind: Kind
    /// The feature request (a JSON object), as submitted to `/api/v1/requests/<collection>`.
    var request: [String: JSONValue]

    /// Kilometres in one degree of arc on polytope-mars' sphere (R = 6371 km).
    static let kilometresPerDegree = 6371 * Double.pi / 180
    /// Half-width of a trajectory's corridor when the query gives no `within`, in degrees of arc.
    static let defaultTrajectoryWithin = 0.5
    /// The output formats, as the `f` parameter names them (case-insensitive).
    static let outputFormats = ["CoverageJSON"]
    /// The coordinate reference system of coordinates and answers.
    static let crs = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    /// Units `within-units` may name, with their length in degrees of arc.
    static let withinUnits: [(name: String, degrees: Double)] = [
        ("km", 1 / kilometresPerDegree), ("m", 0.001 / kilometresPerDegree), ("mi", 1.609344 / kilometresPerDegree), ("deg", 1),
    ]
    /// EDR parameters this front does not implement.
    static let unsupported: Set<String> = [
        "resolution-x", "resolution-y", "resolution-z", "corridor-width", "width-units", "corridor-height", "height-units",
        "locationid", "limit",
    ]
    /// EDR parameters this front reads itself.
    static let edrParameters: Set<String> = ["coords", "bbox", "within", "within-units", "parameter-name", "datetime", "z", "f", "crs"]

    /// - Parameter parameters: the query string's parameters, decoded, in order.
    /// - Throws: `Problems` naming every problem.
    init(kind: Kind, parameters: [(name: String, value: String)]) throws(Problems) {
        var problems: [String] = []
        var given: [String: String] = [:]
        for (name, value) in parameters {
            let key = name.lowercased()
            if given[key] != nil {
                problems.append("\(key): given more than once")
            } else {
                given[key] = value
            }
        }
        var request: [String: JSONValue] = [:]
        for (key, value) in given.sorted(by: { $0.key < $1.key }) where !Self.edrParameters.contains(key) {
            if Self.unsupported.contains(key) {
                problems.append("\(key): not supported by this server")
            } else if key == "feature" || key == "format" {
                problems.append("\(key): set by the query type, not a query parameter")
            } else if !key.isEmpty, key.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }) {
                request[key] = Self.marsValue(value)
            } else {
                problems.append("'\(key.prefix(64))': not a query parameter of EDR \(kind.rawValue) queries, nor a MARS key")
            }
        }
        if let format = given["f"], !Self.outputFormats.contains(where: { $0.lowercased() == format.lowercased() }) {
            problems.append("f: '\(format.prefix(64))' is not an output format of this server (\(Self.outputFormats.joined(separator: ", ")))")
        }
        if let crs = given["crs"], crs != Self.crs, crs.uppercased() != "CRS84" {
            problems.append("crs: '\(crs.prefix(128))' is not supported; coordinates are longitude latitude in CRS84")
        }
        Self.rename(given, "parameter-name", to: "param", in: &request, problems: &problems)
        Self.rename(given, "z", to: "levelist", in: &request, problems: &problems)
        if let datetime = given["datetime"] {
            do throws(Problems) {
                for (key, value) in try Self.dateAndTime(datetime).sorted(by: { $0.key < $1.key }) {
                    if request[key] != nil {
                        problems.append("datetime: gives the \(key), and so does \(key)=; give one")
                    }
                    request[key] = value
                }
            } catch {
                problems += error.messages
            }
        }
        do throws(Problems) {
            request["feature"] = try Self.feature(kind, given)
        } catch {
            problems += error.messages
        }
        guard problems.isEmpty else { throw Problems(messages: problems) }
        request["format"] = .string("covjson")
        self.kind = kind
        self.request = request
    }

    // MARK: Features

    private static func feature(_ kind: Kind, _ given: [String: String]) throws(Problems) -> JSONValue {
        var problems: [String] = []
        let wrongParameter = kind == .cube ? "coords" : "bbox"
        if given[wrongParameter] != nil {
            problems.append("\(wrongParameter): \(kind.rawValue) queries take \(kind == .cube ? "bbox" : "coords"), not \(wrongParameter)")
        }
        if given["within"] != nil || given["within-units"] != nil, kind != .radius, kind != .trajectory {
            problems.append("within: only radius and trajectory queries take a distance")
        }
        if kind == .cube {
            guard let bbox = given["bbox"] else { throw Problems(messages: problems + ["bbox: missing (minlon,minlat,maxlon,maxlat)"]) }
            let numbers = bbox.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard numbers.count == 4, let west = numbers[0], let south = numbers[1], let east = numbers[2], let north = numbers[3],
                [west, south, east, north].allSatisfy(\.isFinite)
            else {
                throw Problems(messages: problems + ["bbox: expected four numbers minlon,minlat,maxlon,maxlat, found '\(bbox.prefix(128))'"])
            }
            if south > north {
                problems.append("bbox: minlat \(south) is north of maxlat \(north); the order is minlon,minlat,maxlon,maxlat")
            }
            guard problems.isEmpty else { throw Problems(messages: problems) }
            // West of east crosses the antimeridian (OGC API - EDR): 170,..,-170 is 170 to 190.
            let eastward = east < west ? east + 360 : east
            return .object(["type": .string("boundingbox"), "points": .array([pair(south, west), pair(north, eastward)])])
        }
        guard let coords = given["coords"] else {
            throw Problems(messages: problems + ["coords: missing (a WKT \(expectedGeometry(kind)) in longitude latitude order)"])
        }
        let geometry: WKTGeometry
        do {
            geometry = try WKTGeometry(wkt: coords)
        } catch {
            throw Problems(messages: problems + ["coords: \(error.message)"])
        }
        var feature: [String: JSONValue] = [:]
        switch (kind, geometry) {
        case (.position, .point(let point)):
            feature = ["type": .string("timeseries"), "time_axis": .string("step"), "points": .array([position(point)])]
        case (.position, .multiPoint(let points)):
            feature = ["type": .string("timeseries"), "time_axis": .string("step"), "points": .array(points.map(position))]
        case (.area, .polygon(let rings)):
            if rings.count > 1 { problems.append("coords: polygons with holes are not supported") }
            feature = ["type": .string("polygon"), "shape": ring(rings[0])]
        case (.area, .multiPolygon(let polygons)):
            if polygons.contains(where: { $0.count > 1 }) { problems.append("coords: polygons with holes are not supported") }
            feature = ["type": .string("polygon"), "shape": .array(polygons.map { ring($0[0]) })]
        case (.trajectory, .lineString(let points)):
            let within = try distance(given, required: false) ?? defaultTrajectoryWithin
            feature = [
                "type": .string("trajectory"), "axes": .array([.string("latitude"), .string("longitude")]),
                "points": .array(points.map(position)), "inflation": .number(within), "inflate": .string("round"),
            ]
        case (.radius, .point(let point)):
            let within = try distance(given, required: true) ?? 0
            feature = ["type": .string("circle"), "center": .array([position(point)]), "radius": .number(within)]
        default:
            problems.append("coords: \(kind.rawValue) queries take a \(expectedGeometry(kind)), not a \(geometry.typeName)")
        }
        guard problems.isEmpty else { throw Problems(messages: problems) }
        return .object(feature)
    }

    private static func expectedGeometry(_ kind: Kind) -> String {
        switch kind {
        case .position: "POINT or MULTIPOINT"
        case .area: "POLYGON or MULTIPOLYGON"
        case .cube: "bbox"
        case .trajectory: "LINESTRING"
        case .radius: "POINT"
        }
    }

    /// `within` in degrees of arc, converted from `within-units`.
    private static func distance(_ given: [String: String], required: Bool) throws(Problems) -> Double? {
        let units = withinUnits.map(\.name).joined(separator: ", ")
        guard let text = given["within"] else {
            if required { throw Problems(messages: ["within: missing (the radius, in within-units: \(units))"]) }
            return nil
        }
        var problems: [String] = []
        let value = Double(text)
        if value == nil || !(value! > 0) || !value!.isFinite {
            problems.append("within: expected a positive number, found '\(text.prefix(32))'")
        }
        let unitName = given["within-units"]
        let unit = withinUnits.first { $0.name == unitName?.lowercased() }
        if unit == nil {
            problems.append(
                unitName.map { "within-units: unknown unit '\($0.prefix(32))' (expected one of \(units))" }
                    ?? "within-units: missing (one of \(units))")
        }
        guard let value, let unit, problems.isEmpty else { throw Problems(messages: problems) }
        return value * unit.degrees
    }

    private static func position(_ point: WKTGeometry.Position) -> JSONValue {
        pair(point.latitude, point.longitude)
    }

    private static func pair(_ latitude: Double, _ longitude: Double) -> JSONValue {
        .array([.number(latitude), .number(longitude)])
    }

    /// A ring's vertices `[lat, lon]`, without WKT's closing repetition of the first.
    private static func ring(_ ring: [WKTGeometry.Position]) -> JSONValue {
        var vertices = ring
        if vertices.count > 1, vertices.first == vertices.last { vertices.removeLast() }
        return .array(vertices.map(position))
    }

    // MARK: MARS keys

    /// `a,b` or `a/b` → `[a, b]`; one value stays a string.
    static func marsValue(_ text: String) -> JSONValue {
        let words = text.split(whereSeparator: { $0 == "," || $0 == "/" }).map { $0.trimmingCharacters(in: .whitespaces) }
        return words.count == 1 ? .string(words[0]) : .array(words.map(JSONValue.string))
    }

    private static func rename(
        _ given: [String: String], _ name: String, to key: String, in request: inout [String: JSONValue], problems: inout [String]
    ) {
        guard let value = given[name] else { return }
        if request[key] != nil {
            problems.append("\(name): give either \(name) or the MARS key \(key), not both")
        } else if name == "z", value.contains("/") || value.uppercased().hasPrefix("R") {
            problems.append("z: intervals are not supported; list the levels, as z=500,850")
        } else {
            request[key] = marsValue(value)
        }
    }

    /// `datetime` (an instant, a date or a closed interval, in UTC) as MARS `date` and `time`.
    static func dateAndTime(_ datetime: String) throws(Problems) -> [String: JSONValue] {
        let ends = datetime.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard ends.count <= 2 else { throw Problems(messages: ["datetime: expected an instant or start/end, found '\(datetime.prefix(64))'"]) }
        if ends.contains("..") || ends.contains("") {
            throw Problems(messages: ["datetime: open intervals are not supported; give both ends"])
        }
        var parsed: [(date: String, time: String?)] = []
        for end in ends {
            guard let instant = instant(end) else {
                throw Problems(messages: [
                    "datetime: '\(end.prefix(64))' is not a UTC date (2025-01-01) or instant (2025-01-01T12:00:00Z)"
                ])
            }
            parsed.append(instant)
        }
        var request: [String: JSONValue] = [:]
        let (first, last) = (parsed[0], parsed[parsed.count - 1])
        guard first.date <= last.date else {
            throw Problems(messages: ["datetime: the interval '\(datetime.prefix(64))' ends before it starts"])
        }
        request["date"] = first.date == last.date ? .string(first.date) : .array([.string(first.date), .string("to"), .string(last.date)])
        guard first.time == last.time else {
            throw Problems(messages: [
                "datetime: an interval's ends must have the same time of day (its dates make a MARS date range); give the time with time="
            ])
        }
        if let time = first.time { request["time"] = .string(time) }
        return request
    }

    /// `2025-01-01` → ("20250101", nil); `2025-01-01T12:00:00Z` → ("20250101", "1200"); a day
    /// the month lacks, nil. RFC 3339's `t` and `z` may be lower case, and seconds may have a
    /// fraction of zeros.
    private static func instant(_ text: String) -> (date: String, time: String?)? {
        let digits = { (part: Substring, count: Int) in part.count == count && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) }
        let text = text.uppercased()
        let halves = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        let dateParts = halves[0].split(separator: "-", omittingEmptySubsequences: false)
        guard dateParts.count == 3, digits(dateParts[0], 4), digits(dateParts[1], 2), digits(dateParts[2], 2),
            CivilDay(year: Int(dateParts[0])!, month: Int(dateParts[1])!, day: Int(dateParts[2])!) != nil
        else { return nil }
        let date = dateParts.joined()
        guard halves.count == 2 else { return (date, nil) }
        var clock = halves[1]
        if clock.hasSuffix("Z") {
            clock = clock.dropLast()
        } else if clock.hasSuffix("+00:00") {
            clock = clock.dropLast(6)
        }
        if let dot = clock.firstIndex(of: ".") {
            let fraction = clock[clock.index(after: dot)...]
            guard !fraction.isEmpty, fraction.allSatisfy({ $0 == "0" }) else { return nil }
            clock = clock[..<dot]
        }
        let timeParts = clock.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(timeParts.count), timeParts.allSatisfy({ digits($0, 2) }), timeParts.count == 2 || timeParts[2] == "00" else {
            return nil
        }
        return (date, String(timeParts[0] + timeParts[1]))
    }
}
