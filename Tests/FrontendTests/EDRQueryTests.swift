import PolytopeCore
import Testing

@testable import Frontend

@Suite("EDR queries as feature requests")
struct EDRQueryTests {
    func request(_ kind: EDRQuery.Kind, _ parameters: KeyValuePairs<String, String>) throws -> [String: JSONValue] {
        try EDRQuery(kind: kind, parameters: parameters.map { (name: $0.key, value: $0.value) }).request
    }

    func problems(_ kind: EDRQuery.Kind, _ parameters: KeyValuePairs<String, String>) -> [String] {
        do {
            _ = try EDRQuery(kind: kind, parameters: parameters.map { (name: $0.key, value: $0.value) })
            return []
        } catch {
            return error.messages
        }
    }

    static func point(_ latitude: Double, _ longitude: Double) -> JSONValue { .array([.number(latitude), .number(longitude)]) }

    @Test("position: a timeseries of each point, [lat, lon] from WKT's lon lat; EDR parameters renamed to MARS keys")
    func position() throws {
        let mapped = try request(
            .position,
            [
                "coords": "MULTIPOINT((-9.1 38.9), (7 50.7))", "parameter-name": "2t,msl", "datetime": "2025-01-01T12:00:00Z", "step": "0/6,12",
                "f": "coveragejson", "class": "od",
            ])
        #expect(
            mapped == [
                "feature": .object([
                    "type": "timeseries", "time_axis": "step", "points": .array([Self.point(38.9, -9.1), Self.point(50.7, 7)]),
                ]),
                "param": .array(["2t", "msl"]), "date": "20250101", "time": "1200", "step": .array(["0", "6", "12"]), "class": "od",
                "format": "covjson",
            ])
        #expect(
            try request(.position, ["coords": "POINT(10 50)"])["feature"]
                == .object(["type": "timeseries", "time_axis": "step", "points": .array([Self.point(50, 10)])]))
    }

    @Test("area: a polygon without WKT's closing vertex; several polygons")
    func area() throws {
        let polygon = try request(.area, ["coords": "POLYGON((10 40, 12 40, 12 41, 10 40))", "z": "500,850"])
        #expect(polygon["feature"] == .object(["type": "polygon", "shape": .array([Self.point(40, 10), Self.point(40, 12), Self.point(41, 12)])]))
        #expect(polygon["levelist"] == .array(["500", "850"]))
        let several = try request(.area, ["coords": "MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)), ((5 5, 6 5, 6 6)))"])
        #expect(
            several["feature"]
                == .object([
                    "type": "polygon",
                    "shape": .array([
                        .array([Self.point(0, 0), Self.point(0, 1), Self.point(1, 1)]),
                        .array([Self.point(5, 5), Self.point(5, 6), Self.point(6, 6)]),
                    ]),
                ]))
    }

    @Test("cube: bbox minlon,minlat,maxlon,maxlat is a bounding box [[minlat, minlon], [maxlat, maxlon]]")
    func cube() throws {
        #expect(
            try request(.cube, ["bbox": "-1,-0.5,2,0.5"])["feature"]
                == .object(["type": "boundingbox", "points": .array([Self.point(-0.5, -1), Self.point(0.5, 2)])]))
        // minlon east of maxlon: the box crosses the antimeridian (20° wide, not 340°).
        #expect(
            try request(.cube, ["bbox": "170,-1,-170,1"])["feature"]
                == .object(["type": "boundingbox", "points": .array([Self.point(-1, 170), Self.point(1, 190)])]))
    }

    @Test("trajectory: round inflation of within (default 0.5°)")
    func trajectory() throws {
        let path: JSONValue = .array([Self.point(0, -1), Self.point(1, 2)])
        #expect(
            try request(.trajectory, ["coords": "LINESTRING(-1 0, 2 1)"])["feature"]
                == .object([
                    "type": "trajectory", "axes": .array(["latitude", "longitude"]), "points": path, "inflation": .number(0.5), "inflate": "round",
                ]))
        let wide = try request(.trajectory, ["coords": "LINESTRING(-1 0, 2 1)", "within": "2", "within-units": "deg"])
        guard case .object(let feature) = wide["feature"] else { Issue.record("no feature"); return }
        #expect(feature["inflation"] == .number(2))
    }

    @Test("radius: a circle whose radius is within converted to degrees of arc on a 6371 km sphere")
    func radius() throws {
        for (within, units, degrees) in [
            ("111.19492664455873", "km", 1.0), ("1", "deg", 1), ("50000", "m", 50 / EDRQuery.kilometresPerDegree),
            ("10", "MI", 16.09344 / EDRQuery.kilometresPerDegree),
        ] {
            let mapped = try request(.radius, ["coords": "POINT(10 50)", "within": within, "within-units": units])
            guard case .object(let feature) = mapped["feature"], case .number(let radius) = feature["radius"] else {
                Issue.record("no radius")
                continue
            }
            #expect(abs(radius - degrees) < 1e-12)
            #expect(feature["center"] == .array([Self.point(50, 10)]))
        }
    }

    @Test("datetime: an instant, a date, a closed interval")
    func datetime() throws {
        #expect(try EDRQuery.dateAndTime("2025-01-01T06:00Z") == ["date": "20250101", "time": "0600"])
        #expect(try EDRQuery.dateAndTime("2025-01-01T06:00:00+00:00") == ["date": "20250101", "time": "0600"])
        #expect(try EDRQuery.dateAndTime("2025-01-01") == ["date": "20250101"])
        #expect(try EDRQuery.dateAndTime("2025-01-01/2025-01-03") == ["date": .array(["20250101", "to", "20250103"])])
        #expect(
            try EDRQuery.dateAndTime("2025-01-01T12:00:00Z/2025-01-03T12:00:00Z") == [
                "date": .array(["20250101", "to", "20250103"]), "time": "1200",
            ])
        #expect(try request(.cube, ["bbox": "0,0,1,1", "datetime": "2025-01-01", "time": "1200"])["time"] == "1200")
        // RFC 3339: lower-case t and z, and a fraction of zero seconds.
        #expect(try EDRQuery.dateAndTime("2025-01-01t06:00:00.000z") == ["date": "20250101", "time": "0600"])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "datetime": "2025-01-03T12:00:00Z/2025-01-01T12:00:00Z"]) == [
                "datetime: the interval '2025-01-03T12:00:00Z/2025-01-01T12:00:00Z' ends before it starts"
            ])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "datetime": "2025-02-30T12:00:00Z"]) == [
                "datetime: '2025-02-30T12:00:00Z' is not a UTC date (2025-01-01) or instant (2025-01-01T12:00:00Z)"
            ])
        #expect(throws: EDRQuery.Problems.self) { try EDRQuery.dateAndTime("2025-01-01T06:00:00.5Z") }
        #expect(
            problems(.cube, ["bbox": "0,1,1,-1"]) == [
                "bbox: minlat 1.0 is north of maxlat -1.0; the order is minlon,minlat,maxlon,maxlat"
            ])
    }

    @Test("every problem of a query is named, in one error")
    func everyProblem() {
        #expect(
            problems(
                .position,
                ["coords": "POINT(10)", "f": "GeoJSON", "datetime": "2025-01-01T12:00:00+01:00", "step": "0", "Step": "6", "resolution-x": "3"])
                == [
                    "step: given more than once", "resolution-x: not supported by this server",
                    "f: 'GeoJSON' is not an output format of this server (CoverageJSON)",
                    "datetime: '2025-01-01T12:00:00+01:00' is not a UTC date (2025-01-01) or instant (2025-01-01T12:00:00Z)",
                    "coords: expected a latitude after the longitude 10, found ')'",
                ])
        #expect(problems(.position, [:]) == ["coords: missing (a WKT POINT or MULTIPOINT in longitude latitude order)"])
        #expect(
            problems(.cube, ["coords": "POINT(1 2)"]) == [
                "coords: cube queries take bbox, not coords", "bbox: missing (minlon,minlat,maxlon,maxlat)",
            ])
        #expect(problems(.cube, ["bbox": "1,2,3"]) == ["bbox: expected four numbers minlon,minlat,maxlon,maxlat, found '1,2,3'"])
        for bbox in ["nan,0,1,1", "0,inf,1,1", "0,0,1e400,1", "0,0,1,-infinity"] {
            #expect(problems(.cube, ["bbox": bbox]) == ["bbox: expected four numbers minlon,minlat,maxlon,maxlat, found '\(bbox)'"])
        }
        #expect(problems(.area, ["coords": "POINT(1 2)"]) == ["coords: area queries take a POLYGON or MULTIPOLYGON, not a POINT"])
        #expect(problems(.area, ["coords": "POLYGON((0 0, 1 0, 0 1), (0 0, 1 0, 0 1))"]) == ["coords: polygons with holes are not supported"])
        #expect(problems(.radius, ["coords": "POINT(1 2)"]) == ["within: missing (the radius, in within-units: km, m, mi, deg)"])
        #expect(
            problems(.radius, ["coords": "POINT(1 2)", "within": "-3", "within-units": "furlong"]) == [
                "within: expected a positive number, found '-3'", "within-units: unknown unit 'furlong' (expected one of km, m, mi, deg)",
            ])
        #expect(problems(.position, ["coords": "POINT(1 2)", "within": "3"]) == ["within: only radius and trajectory queries take a distance"])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "param": "2t", "parameter-name": "msl"]) == [
                "parameter-name: give either parameter-name or the MARS key param, not both"
            ])
        #expect(problems(.position, ["coords": "POINT(1 2)", "z": "500/850"]) == ["z: intervals are not supported; list the levels, as z=500,850"])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "feature": "x", "Bad Key": "1"]) == [
                "'bad key': not a query parameter of EDR position queries, nor a MARS key", "feature: set by the query type, not a query parameter",
            ])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "datetime": "../2025-01-01"]) == [
                "datetime: open intervals are not supported; give both ends"
            ])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "datetime": "2025-01-01", "date": "20250101"]) == [
                "datetime: gives the date, and so does date=; give one"
            ])
        #expect(
            problems(.position, ["coords": "POINT(1 2)", "crs": "EPSG:3857"]) == [
                "crs: 'EPSG:3857' is not supported; coordinates are longitude latitude in CRS84"
            ])
        #expect(problems(.position, ["coords": "POINT(1 2)", "crs": "CRS84"]).isEmpty)
    }

    @Test("query strings are decoded as forms encode them")
    func queryString() {
        let parameters = EDRController.parameters(of: "coords=POINT(10+50)&parameter-name=2t%2Cmsl&x&within-units=")
        #expect(parameters.map(\.name) == ["coords", "parameter-name", "x", "within-units"])
        #expect(parameters.map(\.value) == ["POINT(10 50)", "2t,msl", "", ""])
        #expect(EDRController.parameters(of: nil).isEmpty)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Strings written as literals in these tests.
    public init(stringLiteral value: String) { self = .string(value) }
}
