import Foundation
import GribArchive
import MarsLanguage
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Archiving and retrieving GRIB fields")
struct GribArchiveTests {
    /// A fresh archive in a temporary directory.
    static func makeArchive(maximumFields: Int = 100_000, maximumLookups: Int = 1_000_000) throws -> (GribArchive, TemporaryDirectory) {
        let directory = try TemporaryDirectory(prefix: "grib-archive")
        let configuration = GribArchive.Configuration(
            root: URL(fileURLWithPath: directory.path), maximumFields: maximumFields, maximumLookups: maximumLookups)
        return (try GribArchive(configuration: configuration), directory)
    }

    @Test("a request with lists and ranges gets exactly the archived messages, in request order")
    func retrieveInRequestOrder() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t", "msl"], dates: ["20250101", "20250102"], steps: ["0", "6", "12"])
        // Archived in two files, in an order unlike the request's.
        #expect(try await archive.archive(file: try samples.file(fields.prefix(5).reversed().map(\.bytes)), expecting: nil) == 5)
        #expect(try await archive.archive(file: try samples.file(fields.dropFirst(5).map(\.bytes)), expecting: nil) == 7)
        #expect(try await archive.fieldCount() == 12)

        let plan = try await archive.retrievalPlan(for: try normalised("param=msl/2t, date=20250102/to/20250101/by/-1, time=12, step=0/to/12/by/6"))

        #expect(plan.missing == [])
        #expect(plan.requestedCount == 12)
        let expected = ["msl", "2t"].flatMap { param in
            ["20250102", "20250101"].flatMap { date in
                ["0", "6", "12"].map { step in fields.first { $0.param == param && $0.date == date && $0.step == step }!.bytes }
            }
        }
        #expect(plan.totalLength == Int64(expected.joined().count))
        let result = try await readAll(plan.fields, from: archive)
        #expect(result.bytes == Array(expected.joined()))
        let listing = try await samples.list(result.bytes)
        #expect(listing.count == 12)
        #expect(listing.prefix(4) == ["20250102 1200 0 msl", "20250102 1200 6 msl", "20250102 1200 12 msl", "20250101 1200 0 msl"])
        #expect(listing.last == "20250101 1200 12 2t")
    }

    @Test("a subset, with values written as users write them (2t, 6h, 12:00, 2025-01-01)")
    func retrieveSubset() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t", "msl", "10u"], dates: ["20250101"], steps: ["0", "6", "12", "18"])
        _ = try await archive.archive(file: try samples.file(fields.map(\.bytes)), expecting: nil)

        let plan = try await archive.retrievalPlan(for: try normalised("date=2025-01-01, time=12:00, param=10u/2t, step=18/6h"))

        let result = try await readAll(plan.fields, from: archive)
        #expect(try await samples.list(result.bytes) == ["20250101 1200 18 10u", "20250101 1200 6 10u", "20250101 1200 18 2t", "20250101 1200 6 2t"])
    }

    @Test("missing fields are listed in request order, the others still planned")
    func missingFields() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t"], dates: ["20250101"], steps: ["0", "12"])
        _ = try await archive.archive(file: try samples.file(fields.map(\.bytes)), expecting: nil)

        let plan = try await archive.retrievalPlan(for: try normalised("date=20250101/20250102, param=2t, step=0/6/12"))

        #expect(plan.fields.count == 2)
        #expect(
            plan.missing == [
                "date=20250101,param=167,step=6", "date=20250102,param=167,step=0", "date=20250102,param=167,step=6",
                "date=20250102,param=167,step=12",
            ])
        #expect(
            plan.missingMessage?.hasPrefix("4 fields not in the archive: date=20250101,param=167,step=6; date=20250102,param=167,step=0;") == true)
        // A MARS key no archived field has selects nothing instead of being ignored.
        let members = try await archive.retrievalPlan(for: try normalised("date=20250101, param=2t, step=0, number=1/2"))
        #expect(members.fields.isEmpty)
        #expect(members.missing == ["date=20250101,param=167,step=0,number=1", "date=20250101,param=167,step=0,number=2"])
        // Keys that are not MARS keys (post-processing, targets) select nothing and are reported.
        let ignored = try await archive.retrievalPlan(for: try normalised("date=20250101, param=2t, step=0, grid=0.5/1, target=out.grib"))
        #expect(ignored.fields.count == 1)
        #expect(ignored.ignoredKeys == ["grid", "target"])
    }

    @Test("keys a request leaves out, or gives as all, match every value the archive holds, in order")
    func leftOutKeys() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        var messages: [[UInt8]] = []
        for level in ["850", "500", "1000"] {
            messages.append(try await samples.message("date=20250101,level=\(level),shortName=t", template: GribSamples.pressureLevels))
        }
        messages.append(try await samples.message("date=20250101,shortName=2t"))
        _ = try await archive.archive(file: try samples.file(messages), expecting: nil)

        let plan = try await archive.retrievalPlan(for: try normalised("date=20250101, param=t"))
        #expect(try await samples.list(try await readAll(plan.fields, from: archive).bytes, keys: "level,shortName") == ["500 t", "850 t", "1000 t"])
        var settings = MarsLanguageSettings.standard
        settings.setAllowsAll(true, for: "levelist")
        let all = try MarsRequestNormaliser(settings: settings).normalise(
            try RequestTextParser().parse("date=20250101, levelist=all, param=t"), now: Date())
        #expect(try await archive.retrievalPlan(for: all).fields == plan.fields)
        let surface = try await archive.retrievalPlan(for: try normalised("date=20250101, param=2t/t, levtype=sfc"))
        #expect(surface.fields.count == 1)
        #expect(surface.missing == ["date=20250101,param=130,levtype=sfc"])
        // A request with levelist matches no surface field (they have no levelist).
        let levels = try await archive.retrievalPlan(for: try normalised("date=20250101, param=t/2t, levelist=500"))
        #expect(levels.fields.map(\.key) == ["date=20250101,levelist=500,levtype=pl,param=130,step=0,time=1200"])
        #expect(levels.missing == ["date=20250101,param=167,levelist=500"])
    }

    @Test("a field archived again replaces the old one: the newest wins, within a file the last")
    func duplicatesReplaced() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let settings = "date=20250101,time=1200,step=6,shortName=2t"
        let first = try await samples.message(settings + ",generatingProcessIdentifier=1")
        let second = try await samples.message(settings + ",generatingProcessIdentifier=2")
        let third = try await samples.message(settings + ",generatingProcessIdentifier=3")
        #expect(first != second && second != third)
        let request = try normalised("date=20250101, time=1200, step=6, param=2t")

        _ = try await archive.archive(file: try samples.file([first]), expecting: nil)
        #expect(try await readAll(try await archive.retrievalPlan(for: request).fields, from: archive).bytes == first)
        _ = try await archive.archive(file: try samples.file([second]), expecting: nil)
        #expect(try await readAll(try await archive.retrievalPlan(for: request).fields, from: archive).bytes == second)
        #expect(try await archive.archive(file: try samples.file([first, third]), expecting: nil) == 2)
        #expect(try await readAll(try await archive.retrievalPlan(for: request).fields, from: archive).bytes == third)
        #expect(try await archive.fieldCount() == 1)
    }

    @Test("metadata: every message must match it; the error names each message at fault and nothing is archived")
    func metadataValidation() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t", "msl"], dates: ["20250101"], steps: ["0", "6"])
        let file = try samples.file(fields.map(\.bytes))

        let error = await #expect(throws: GribArchiveError.self) {
            try await archive.archive(file: file, expecting: try normalised("date=20250101, param=2t, step=0/6, class=od"))
        }
        #expect(error?.reason == .metadataMismatch)
        #expect(
            error?.message
                == "2 messages do not match the archive request: message 3 (bytes 358..<537), date=20250101,levtype=sfc,param=151,step=0,time=1200: "
                + "param=151 (the request says 167); message 4 (bytes 537..<716), date=20250101,levtype=sfc,param=151,step=6,time=1200: "
                + "param=151 (the request says 167)")
        #expect(try await archive.fieldCount() == 0)
        #expect(try Self.files(under: root, in: "data") == [])
        #expect(try Self.files(under: root, in: "tmp") == [])

        // Metadata written with short names and relative forms matches once normalised.
        #expect(try await archive.archive(file: file, expecting: try normalised("date=2025-01-01, param=2t/msl, step=0/to/6/by/6, time=12")) == 4)
        #expect(try Self.files(under: root, in: "data").count == 1)
    }

    @Test("files that are not only GRIB are refused whole")
    func notGRIB() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try Self.makeArchive()
        defer { root.remove() }
        let message = try await samples.message("shortName=2t")
        let cases: [([UInt8], String)] = [
            (message + Array("trailing".utf8), "bytes \(message.count)..<\(message.count + 8) of the file are not a GRIB message"),
            (Array("junk".utf8) + message, "bytes 0..<4 of the file are not a GRIB message"),
            ([], "the file holds no GRIB message"),
            (Array("just text, no messages here".utf8), "the file holds no GRIB message"),
            (Array("a GRIB marker, then nonsense".utf8), "the GRIB message after byte 0 cannot be read: Edition not supported"),
        ]
        for (bytes, reason) in cases {
            let error = await #expect(throws: GribArchiveError.self) { try await archive.archive(file: try samples.file([bytes]), expecting: nil) }
            #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        }
        #expect(try await archive.fieldCount() == 0)
        #expect(try Self.files(under: root, in: "tmp") == [])
    }

    /// The regular files under `root/directory`, relative to it.
    static func files(under root: TemporaryDirectory, in directory: String) throws -> [String] {
        let base = root.file(directory)
        guard let enumerator = FileManager.default.enumerator(atPath: base) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(base)/\(path)", isDirectory: &isDirectory) && !isDirectory.boolValue
        }.sorted()
    }
}
