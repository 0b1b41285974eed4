import FeatureExtraction
import Foundation
import PolytopeCore
import Testing

/// The encoder against answers written by the real covjsonkit (crosscheck/make_covjson_goldens.py).
@Suite("CoverageJSON as covjsonkit writes it")
struct CoverageJSONGoldenTests {
    static let layouts: [String: CoverageLayout] = [
        "timeseries": .pointSeries(timeAxis: .step), "position": .position, "verticalprofile": .verticalProfile,
        "boundingbox": .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]),
        "circle": .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]), "polygon": .multiPoint(coordinateNames: ["x", "y", "z"]),
        "trajectory": .trajectory,
    ]

    /// Encodes the case's fields with the Swift writer, fields given in `order`.
    static func encode(_ name: String, reversed: Bool = false) throws -> [UInt8] {
        let input = try TestResources.json("covjson/\(name).input.json")
        let layout = try #require(layouts[input["feature"]!.stringValue!])
        let points = input["points"]!.arrayValue.map { ($0.arrayValue[0].doubleValue!, $0.arrayValue[1].doubleValue!) }
        let selection = GridSelection(
            indices: Array(points.indices), latitudes: points.map(\.0), longitudes: points.map(\.1),
            requestedPoints: points.map { GeoPoint(latitude: $0.0, longitude: $0.1) })
        let fieldValues = input["fields"]!.arrayValue
        let keys = fieldValues.map { field in
            var keys: [String: String] = [:]
            if case .object(let object) = field["keys"]! { for (key, value) in object { keys[key] = value.stringValue } }
            return keys
        }
        let plan = try CoveragePlan(layout: layout, fields: keys)
        var fields = fieldValues.enumerated().map { number, field in
            ExtractedField(fieldNumber: number, selection: selection, values: field["values"]!.arrayValue.map(\.doubleValue))
        }
        if reversed { fields.reverse() }
        return try CoverageJSONWriter.encode(plan: plan, fields: fields)
    }

    @Test(arguments: [
        "timeseries", "timeseries_levels", "position", "verticalprofile", "boundingbox", "boundingbox_levels", "polygon", "circle", "trajectory",
    ])
    func matchesCovjsonkit(name: String) throws {
        let bytes = try Self.encode(name)
        let ours = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        let golden = try TestResources.json("covjson/\(name).golden.json")
        var differences: [String] = []
        Self.compare(ours, golden, path: "$", into: &differences)
        #expect(differences.isEmpty, "\(differences.prefix(10).joined(separator: "\n"))")
        // mars:metadata keys come in covjsonkit's order too.
        let goldenText = String(decoding: try TestResources.data("covjson/\(name).golden.json"), as: UTF8.self)
        #expect(Self.metadataKeyOrder(String(decoding: bytes, as: UTF8.self)) == Self.metadataKeyOrder(goldenText))
        // Integers stay integers (levels, numbers, steps): `"number":1`, not 1.0.
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains("\"number\":1.0") && !text.contains("\"step\":0.0"))
    }

    @Test func fieldOrderDoesNotChangeTheAnswer() throws {
        for name in ["timeseries", "boundingbox", "trajectory", "verticalprofile"] {
            #expect(try Self.encode(name) == Self.encode(name, reversed: true))
        }
    }

    @Test func multiPointStreamsCoverageByCoverage() throws {
        let keys = (0..<4).flatMap { step in
            ["167", "165"].map { ["class": "od", "date": "20250101", "time": "0000", "step": "\(step)", "param": $0, "levtype": "sfc"] }
        }
        let plan = try CoveragePlan(layout: .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]), fields: keys)
        #expect(plan.groups.count == 4 && plan.suggestedFieldOrder == Array(0..<8))
        var writer = CoverageJSONWriter(plan: plan)
        let selection = GridSelection(indices: [0, 1], latitudes: [1, 2], longitudes: [3, 4])
        var chunks: [[UInt8]] = []
        for number in plan.suggestedFieldOrder {
            chunks.append(try writer.append(ExtractedField(fieldNumber: number, selection: selection, values: [Double(number), .nan])))
        }
        // A coverage is written as soon as its two params are in.
        #expect(chunks.map(\.isEmpty) == [true, false, true, false, true, false, true, false])
        chunks.append(try writer.finish())
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(chunks.joined()))
        #expect(document["coverages"]?.arrayValue.count == 4)
        // NaN is written as null.
        #expect(String(decoding: chunks.joined(), as: UTF8.self).contains("\"values\":[0.0,null]"))
        #expect(throws: CoverageEncodingError("field 0 was given twice")) {
            try writer.append(ExtractedField(fieldNumber: 0, selection: selection, values: [1, 2]))
        }
    }

    @Test func timeseriesAlongDates() throws {
        let keys = ["20250101", "20250102", "20250103"].flatMap { date in
            ["0000", "1200"].map { ["class": "d1", "date": date, "time": $0, "step": "0", "param": "167", "levtype": "sfc"] }
        }
        let plan = try CoveragePlan(layout: .pointSeries(timeAxis: .date), fields: keys)
        #expect(plan.groups.count == 1)
        let selection = GridSelection(indices: [0], latitudes: [1], longitudes: [2], requestedPoints: [GeoPoint(latitude: 1, longitude: 2)])
        let fields = keys.indices.map { ExtractedField(fieldNumber: $0, selection: selection, values: [Double($0)]) }
        let document = try JSONDecoder().decode(JSONValue.self, from: Data(CoverageJSONWriter.encode(plan: plan, fields: fields)))
        let coverage = try #require(document["coverages"]?.arrayValue.first)
        #expect(coverage["domain"]?["axes"]?["t"]?["values"]?.arrayValue.count == 6)
        #expect(coverage["domain"]?["axes"]?["t"]?["values"]?.arrayValue.last == .string("2025-01-03T12:00:00Z"))
        #expect(coverage["ranges"]?["2t"]?["values"] == .array((0..<6).map { .number(Double($0)) }))
        #expect(coverage["mars:metadata"]?["Forecast date"] == nil)
    }

    @Test func escapingAndNumbers() {
        var json = JSONBytes()
        json.string("a\"b\\c\nd\u{1}é")
        #expect(String(decoding: json.take(), as: UTF8.self) == "\"a\\\"b\\\\c\\nd\\u0001é\"")
        #expect(
            JSONBytes.pythonRepr(1e-5) == "1e-05" && JSONBytes.pythonRepr(264) == "264.0"
                && JSONBytes.pythonRepr(9_007_199_254_740_994) == "9007199254740994.0")
        #expect(JSONBytes.pythonRepr(1e16) == "1e+16" && JSONBytes.pythonRepr(0.1) == "0.1")
    }

    @Test func times() {
        #expect(MarsTime(date: "20250101", time: "1200")?.adding(step: "18")?.isoText == "2025-01-02T06:00:00Z")
        #expect(MarsTime(date: "2024-02-28", time: "00:00")?.adding(step: "1d")?.isoText == "2024-02-29T00:00:00Z")
        #expect(MarsTime(date: "19991231", time: "6")?.adding(step: "1h30m")?.isoText == "1999-12-31T07:30:00Z")
        #expect(MarsTime(date: "20251301", time: "0") == nil)
        #expect(MarsTime(date: "20250230", time: "0") == nil, "no 30 February")
        #expect(MarsTime(date: "19691231", time: "2359")?.isoText == "1969-12-31T23:59:00Z", "before 1970")
        #expect(MarsTime.normalisedStep("90m") == .text("1h30m") && MarsTime.normalisedStep("12") == .integer(12))
    }

    // MARK: Comparison

    static func compare(_ a: JSONValue, _ b: JSONValue, path: String, into differences: inout [String]) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            if Set(x.keys) != Set(y.keys) { differences.append("\(path): keys \(x.keys.sorted()) vs \(y.keys.sorted())") }
            for key in Set(x.keys).intersection(y.keys) { compare(x[key]!, y[key]!, path: "\(path).\(key)", into: &differences) }
        case (.array(let x), .array(let y)):
            if x.count != y.count { differences.append("\(path): \(x.count) items vs \(y.count)") }
            for (index, (p, q)) in zip(x, y).enumerated() { compare(p, q, path: "\(path)[\(index)]", into: &differences) }
        case (.number(let x), .number(let y)):
            if abs(x - y) > 1e-9 * max(1, abs(y)) { differences.append("\(path): \(x) vs \(y)") }
        default:
            if a != b { differences.append("\(path): \(a) vs \(b)") }
        }
    }

    /// The keys of the first `mars:metadata` object, in the order written.
    static func metadataKeyOrder(_ text: String) -> [String] {
        guard let start = text.range(of: "\"mars:metadata\"") else { return [] }
        let rest = text[start.upperBound...]
        guard let open = rest.firstIndex(of: "{"), let close = rest.firstIndex(of: "}") else { return [] }
        let body = rest[rest.index(after: open)..<close]
        var keys: [String] = []
        var inString = false
        var current = ""
        var expectingKey = true
        for character in body {
            if character == "\"" {
                if inString, expectingKey { keys.append(current) }
                inString.toggle()
                current = ""
                continue
            }
            if inString {
                current.append(character)
            } else if character == ":" {
                expectingKey = false
            } else if character == "," {
                expectingKey = true
            }
        }
        return keys
    }
}
