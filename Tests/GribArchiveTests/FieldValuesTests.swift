import FeatureExtraction
import Foundation
import GribArchive
import MarsLanguage
import PolytopeCore
import PolytopeTestSupport
import Testing

/// Values of a few grid points read from archived fields: the partial reads of simple packing
/// must give exactly what ecCodes' full decode gives, on real messages written by ecCodes.
@Suite("GRIB archive: values of a few points")
struct FieldValuesTests {
    /// One kind of message: a sample, how it is packed, and whether some values are missing.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var template: String
        var points: Int
        var settings: String
        var missingEvery: Int?
        /// Whether the archive should read it value by value.
        var partial: Bool

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "regular_ll, 13 bits", template: GribSamples.surface, points: 496, settings: "set bitsPerValue = 13;", missingEvery: nil,
            partial: true),
        Case(
            name: "regular_ll, 7 bits, bitmap", template: GribSamples.surface, points: 496, settings: "set bitsPerValue = 7;",
            missingEvery: 17, partial: true),
        Case(
            name: "reduced_gg N32, 24 bits", template: "\(GribSamples.samples)/reduced_gg_pl_32_grib2.tmpl", points: 6114,
            settings: "set bitsPerValue = 24;", missingEvery: nil, partial: true),
        Case(
            name: "reduced_gg N32, 16 bits, bitmap", template: "\(GribSamples.samples)/reduced_gg_pl_32_grib2.tmpl", points: 6114,
            settings: "set bitsPerValue = 16;", missingEvery: 5, partial: true),
        Case(
            name: "regular_ll, CCSDS (decoded whole)", template: GribSamples.surface, points: 496,
            settings: "set packingType = \"grid_ccsds\"; set bitsPerValue = 16;", missingEvery: nil, partial: false),
    ]

    /// A message of `testCase` with values that vary from point to point (and 9999, missing,
    /// at every `missingEvery`-th point).
    static func message(_ testCase: Case, samples: GribSamples, date: String = "20250101") async throws -> URL {
        var values: [String] = []
        for index in 0..<testCase.points {
            if let every = testCase.missingEvery, index % every == 3 {
                values.append("9999")
            } else {
                values.append(String(format: "%.6f", 273.15 + 25 * sin(Double(index) * 0.037) + Double(index % 11) * 0.173))
            }
        }
        let output = samples.directory.file("\(UUID().uuidString).grib")
        var rules = "set date = \(date);\n"
        if testCase.missingEvery != nil { rules += "set bitmapPresent = 1;\nset missingValue = 9999;\n" }
        rules += testCase.settings + "\nset values = {\(values.joined(separator: ","))};\nwrite \"\(output)\";\n"
        let rulesFile = samples.directory.file("\(UUID().uuidString).rules")
        try rules.write(toFile: rulesFile, atomically: true, encoding: .utf8)
        try await GribSamples.run("grib_filter", rulesFile, testCase.template)
        return URL(fileURLWithPath: output)
    }

    /// The values ecCodes decodes from the whole message in `file`, nil for missing points.
    static func fullDecode(_ file: URL) throws -> [Double?] {
        let bytes = try Data(contentsOf: file)
        let values = try bytes.withUnsafeBytes { try GribMessageReader().decodedValues(ofMessage: $0) }
        return values.map { $0.isNaN ? nil : $0 }
    }

    @Test("partial reads give exactly ecCodes' full decode", arguments: cases)
    func partialReadsMatchFullDecode(_ testCase: Case) async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let file = try await Self.message(testCase, samples: samples)
        let expected = try Self.fullDecode(file)
        #expect(expected.count == testCase.points)
        #expect(expected.contains { $0 == nil } == (testCase.missingEvery != nil))
        #expect(try await archive.archive(file: file, expecting: nil) == 1)

        let plan = try await archive.retrievalPlan(for: try normalised("date=20250101"))
        #expect(plan.fields.count == 1)
        let layouts = try await archive.layouts(of: plan.fields)
        #expect((layouts[0].simplePacked != nil) == testCase.partial)
        #expect(layouts[0].grid?.numberOfDataPoints == testCase.points)

        // Every point in order, then a few in any order with repeats.
        let all = try await archive.values(at: Array(0..<testCase.points), of: plan.fields, layouts: layouts)
        #expect(all == [expected])
        let some = [testCase.points - 1, 3, 0, 3, 200, 20, 21, 22, 4, testCase.points / 2]
        let picked = try await archive.values(at: some, of: plan.fields, layouts: layouts)
        #expect(picked == [some.map { expected[$0] }])
    }

    @Test("fields archived before layouts were recorded get theirs from the message on first use")
    func layoutsAreFilledLazily() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let file = try await Self.message(Self.cases[1], samples: samples)
        #expect(try await archive.archive(file: file, expecting: nil) == 1)
        let index = root.file("index.sqlite")
        try await GribSamples.run("sqlite3", index, "UPDATE fields SET layout_version = NULL, data_offset = NULL, grid_id = NULL")
        let plan = try await archive.retrievalPlan(for: try normalised("date=20250101"))
        #expect(try archive.recordedLayoutsNow(of: plan.fields).isEmpty)

        let layouts = try await archive.layouts(of: plan.fields)
        #expect(layouts[0].simplePacked?.bitmapOffset != nil)
        #expect(try archive.recordedLayoutsNow(of: plan.fields)[plan.fields[0].key] == layouts[0])
        let values = try await archive.values(at: Array(0..<496), of: plan.fields, layouts: layouts)
        #expect(values == [try Self.fullDecode(file)])
    }

    @Test("an index of version 1 is migrated and its fields get their layouts on first use")
    func indexVersion1IsMigrated() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let file = try await Self.message(Self.cases[1], samples: samples)
        #expect(try await archive.archive(file: file, expecting: nil) == 1)
        let field = try #require(try await archive.retrievalPlan(for: try normalised("date=20250101")).fields.first)

        // Another root holding the same data file with an index as version 1 wrote it.
        let old = try TemporaryDirectory(prefix: "grib-archive-v1")
        defer { old.remove() }
        let dataFile = URL(fileURLWithPath: old.file(field.file))
        try FileManager.default.createDirectory(at: dataFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root.file(field.file), toPath: dataFile.path)
        let schema = field.key.split(separator: ",").map { $0.split(separator: "=")[0] }.joined(separator: ",")
        var sql = """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1: fields');
            CREATE TABLE fields (key TEXT PRIMARY KEY NOT NULL, schema TEXT NOT NULL, file TEXT NOT NULL,
                offset INTEGER NOT NULL, length INTEGER NOT NULL, archived_at REAL NOT NULL) WITHOUT ROWID;
            CREATE TABLE key_values (schema TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                PRIMARY KEY (schema, key, value)) WITHOUT ROWID;
            INSERT INTO fields VALUES ('\(field.key)', '\(schema)', '\(field.file)', \(field.offset), \(field.length), 0);

            """
        for pair in field.key.split(separator: ",") {
            let parts = pair.split(separator: "=")
            sql += "INSERT INTO key_values VALUES ('\(schema)', '\(parts[0])', '\(parts[1])');\n"
        }
        try await GribSamples.run("sqlite3", old.file("index.sqlite"), sql)

        let migrated = try GribArchive(configuration: .init(root: URL(fileURLWithPath: old.path)))
        let plan = try await migrated.retrievalPlan(for: try normalised("date=20250101"))
        #expect(plan.fields == [field])
        #expect(try migrated.recordedLayoutsNow(of: plan.fields).isEmpty)
        let layouts = try await migrated.layouts(of: plan.fields)
        #expect(layouts == (try await archive.layouts(of: [field])))
        #expect(try migrated.recordedLayoutsNow(of: plan.fields)[field.key] == layouts[0])
        #expect(try await migrated.values(at: Array(0..<496), of: plan.fields, layouts: layouts) == [try Self.fullDecode(file)])
    }

    @Test("the cache of decoded fields keeps the most recently used within its bound")
    func decodedFieldCacheIsBounded() {
        let cache = DecodedFieldCache(capacityBytes: 3 * 8 * 100)
        for name in ["a", "b", "c"] { cache.insert([Double](repeating: 1, count: 100), for: name) }
        _ = cache.values(for: "a")
        cache.insert([Double](repeating: 2, count: 100), for: "d")
        #expect(cache.count == 3)
        #expect(cache.values(for: "b") == nil)
        #expect(cache.values(for: "a") != nil)
        cache.insert([Double](repeating: 3, count: 1000), for: "huge")
        #expect(cache.values(for: "huge") == nil)
    }
}
