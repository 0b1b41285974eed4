import PolytopeCore

/// The JSON documents of the OGC API - EDR front (landing page, conformance, collection
/// metadata), built from values only.
enum EDRDocuments {
    /// The conformance classes this front implements.
    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
        "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/collections",
        "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/json",
        "http://www.opengis.net/spec/ogcapi-edr-1/1.0/conf/covjson",
    ]

    /// The temporal reference system of extents (EDR's example for the Gregorian calendar).
    static let temporalReference = #"TIMECRS["DateTime",TDATUM["Gregorian Calendar"],CS[TemporalDateTime,1],AXIS["Time (T)",future]]"#

    /// `base` is the front's absolute URL (`http://host/edr`); `openAPI` the document's.
    static func landingPage(base: String, openAPI: String) -> JSONValue {
        .object([
            "title": .string("Polytope"),
            "description": .string(
                "Feature extraction (timeseries, areas, boxes, trajectories, circles) from Polytope collections as OGC API - EDR; "
                    + "answers are CoverageJSON."),
            "links": .array([
                ProcessJob.link(base, rel: "self", title: "this document"),
                ProcessJob.link("\(base)/conformance", rel: "conformance", title: "conformance classes"),
                ProcessJob.link("\(base)/collections", rel: "data", title: "collections"),
                ProcessJob.link(openAPI, rel: "service-desc", title: "the API definition", type: "application/vnd.oai.openapi;version=3.0"),
            ]),
        ])
    }

    /// The metadata of collection `name`, with what its archive holds (`catalog`).
    static func collection(_ name: String, catalog: FeatureCatalog, base: String) -> JSONValue {
        let href = "\(base)/collections/\(name)"
        var queries: [String: JSONValue] = [:]
        for kind in EDRQuery.Kind.allCases {
            var variables: [String: JSONValue] = [
                "title": .string(title(of: kind)),
                "query_type": .string(kind.rawValue),
                "output_formats": .array(EDRQuery.outputFormats.map(JSONValue.string)),
                "default_output_format": .string(EDRQuery.outputFormats[0]),
                "crs_details": .array([.object(["crs": .string("CRS84"), "wkt": .string(EDRQuery.crs)])]),
            ]
            if kind == .radius || kind == .trajectory {
                variables["within_units"] = .array(EDRQuery.withinUnits.map { .string($0.name) })
            }
            if kind == .cube { variables["height_units"] = .array([]) }
            queries[kind.rawValue] = .object([
                "link": .object([
                    "href": .string("\(href)/\(kind.rawValue)"), "rel": .string("data"), "type": .string("application/prs.coverage+json"),
                    "title": .string(title(of: kind)), "templated": .bool(false), "variables": .object(variables),
                ])
            ])
        }
        var extent: [String: JSONValue] = [
            "spatial": .object(["bbox": .array([.array([-180, -90, 180, 90].map(JSONValue.number))]), "crs": .string(EDRQuery.crs)])
        ]
        if let temporal = temporalExtent(catalog) { extent["temporal"] = temporal }
        if !catalog.levels.isEmpty {
            extent["vertical"] = .object([
                "interval": .array([.array([.string(catalog.levels[0]), .string(catalog.levels[catalog.levels.count - 1])])]),
                "values": .array(catalog.levels.map(JSONValue.string)),
                "vrs": .string("MARS levelist (hPa for pressure levels)"),
            ])
        }
        var parameters: [String: JSONValue] = [:]
        for parameter in catalog.parameters {
            var entry: [String: JSONValue] = [
                "type": .string("Parameter"), "id": .string(parameter.name), "label": .string(parameter.label),
                "observedProperty": .object(["id": .string(parameter.name), "label": .string(parameter.label)]),
            ]
            if !parameter.description.isEmpty { entry["description"] = .string(parameter.description) }
            if !parameter.unit.isEmpty, parameter.unit != "unknown" { entry["unit"] = .object(["symbol": .string(parameter.unit)]) }
            parameters[parameter.name] = .object(entry)
        }
        return .object([
            "id": .string(name),
            "title": .string(name),
            "description": .string("Features cut from the fields of Polytope collection '\(name)', as CoverageJSON."),
            "links": .array([ProcessJob.link(href, rel: "self", title: name)]),
            "extent": .object(extent),
            "data_queries": .object(queries),
            "crs": .array([.string(EDRQuery.crs)]),
            "output_formats": .array(EDRQuery.outputFormats.map(JSONValue.string)),
            "parameter_names": .object(parameters),
        ])
    }

    private static func title(of kind: EDRQuery.Kind) -> String {
        switch kind {
        case .position: "Timeseries at points (coords=POINT(lon lat) or MULTIPOINT)"
        case .area: "Grid points inside a polygon (coords=POLYGON((lon lat, ...)))"
        case .cube: "Grid points inside a box (bbox=minlon,minlat,maxlon,maxlat)"
        case .trajectory: "Grid points along a path (coords=LINESTRING(lon lat, ...), within)"
        case .radius: "Grid points within a distance of a point (coords=POINT(lon lat), within, within-units)"
        }
    }

    /// From the first to the last archived date and time, each date with each time.
    private static func temporalExtent(_ catalog: FeatureCatalog) -> JSONValue? {
        guard let firstDate = catalog.dates.first, let lastDate = catalog.dates.last, let firstTime = catalog.times.first,
            let lastTime = catalog.times.last, let start = isoInstant(firstDate, firstTime), let end = isoInstant(lastDate, lastTime)
        else { return nil }
        var values: [JSONValue] = []
        for date in catalog.dates.prefix(1000) {
            for time in catalog.times { if let instant = isoInstant(date, time) { values.append(.string(instant)) } }
        }
        return .object([
            "interval": .array([.array([.string(start), .string(end)])]),
            "values": .array(values),
            "trs": .string(temporalReference),
        ])
    }

    /// `20250101`, `1200` → `2025-01-01T12:00:00Z`.
    static func isoInstant(_ date: String, _ time: String) -> String? {
        let date = Array(date)
        var time = Array(time)
        guard date.count == 8, date.allSatisfy(\.isNumber), time.allSatisfy(\.isNumber), (1...4).contains(time.count) else { return nil }
        while time.count < 4 { time.insert("0", at: 0) }
        return "\(String(date[0..<4]))-\(String(date[4..<6]))-\(String(date[6..<8]))T\(String(time[0..<2])):\(String(time[2..<4])):00Z"
    }
}
