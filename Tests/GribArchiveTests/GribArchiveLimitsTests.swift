import Foundation
import GribArchive
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("GRIB archive: bounds, chunks and concurrency")
struct GribArchiveLimitsTests {
    @Test("bytes come in chunks no longer than asked, fields adjacent in a file read as one range")
    func boundedChunks() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t"], dates: ["20250101"], steps: ["0", "6", "12", "18"])
        _ = try await archive.archive(file: try samples.file(fields.map(\.bytes)), expecting: nil)
        let plan = try await archive.retrievalPlan(for: try normalised("date=20250101, param=2t, step=0/6/12/18"))

        let result = try await readAll(plan.fields, from: archive, chunkLength: 100)

        #expect(result.bytes == Array(fields.map(\.bytes).joined()))
        #expect(result.chunks.allSatisfy { $0 <= 100 })
        // 4 adjacent messages of 179 bytes: one range of 716 bytes, so 7 full chunks and 16 bytes.
        #expect(result.chunks == [100, 100, 100, 100, 100, 100, 100, 16])
    }

    @Test("opening an archive removes files of archives cut off an hour ago or more, and keeps those being written")
    func abandonedFilesRemoved() throws {
        let (_, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let tmp = URL(fileURLWithPath: root.path).appendingPathComponent("tmp")
        let abandoned = tmp.appendingPathComponent("a.grib.partial")
        let current = tmp.appendingPathComponent("b.grib.partial")
        let unrelated = tmp.appendingPathComponent("notes.txt")
        for file in [abandoned, current, unrelated] { try Data("GRIB".utf8).write(to: file) }
        let twoHoursAgo = Date(timeIntervalSinceNow: -7200)
        for file in [abandoned, unrelated] {
            try FileManager.default.setAttributes([.modificationDate: twoHoursAgo], ofItemAtPath: file.path)
        }

        _ = try GribArchive(configuration: .init(root: URL(fileURLWithPath: root.path)))

        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: current.path))
        #expect(FileManager.default.fileExists(atPath: unrelated.path))
    }

    @Test("a request asking for too many fields, or leaving out keys with too many values, is refused before any lookup")
    func bounds() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive(maximumFields: 10, maximumLookups: 10)
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t"], dates: ["20250101", "20250102"], steps: (0..<6).map { String($0 * 6) })
        _ = try await archive.archive(file: try samples.file(fields.map(\.bytes)), expecting: nil)

        let tooMany = await #expect(throws: GribArchiveError.self) {
            try await archive.retrievalPlan(for: try normalised("date=20250101/to/20250111, param=2t, step=0"))
        }
        #expect(tooMany?.message == "the request asks for more than 10 fields, the most one request may return; split the request")
        let tooBroad = await #expect(throws: GribArchiveError.self) {
            try await archive.retrievalPlan(for: try normalised("date=20250101/to/20250104, param=2t"))
        }
        #expect(
            tooBroad?.message
                == "the request leaves out levtype, step, time, which have too many values in the archive to try them all; give them in the request, or split it"
        )
        let matchesTooMany = await #expect(throws: GribArchiveError.self) {
            let (small, smallRoot) = try GribArchiveTests.makeArchive(maximumFields: 5, maximumLookups: 20)
            defer { smallRoot.remove() }
            _ = try await small.archive(file: try samples.file(fields.prefix(6).map(\.bytes)), expecting: nil)
            return try await small.retrievalPlan(for: try normalised("date=20250101, param=2t"))
        }
        #expect(matchesTooMany?.message == "the request matches more than 5 fields, the most one request may return; split the request")
        #expect(try await archive.retrievalPlan(for: try normalised("date=20250101/20250105, param=2t")).fields.count == 6)
    }

    @Test("with a filter, only the fields it keeps are planned and counted; combinations it empties are not missing")
    func filteredPlan() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive(maximumFields: 2, maximumLookups: 20)
        defer { root.remove() }
        let fields = try await samples.surfaceFields(params: ["2t"], dates: ["20250101"], steps: ["0", "6", "12", "18"])
        _ = try await archive.archive(file: try samples.file(fields.map(\.bytes)), expecting: nil)
        let request = try normalised("date=20250101, param=2t")
        await #expect(throws: GribArchiveError.self) { try await archive.retrievalPlan(for: request) }
        let early = try await archive.retrievalPlan(for: request, keeping: { $0.key.contains("step=0,") || $0.key.contains("step=6,") })
        #expect(early.fields.count == 2 && early.missing.isEmpty)
        #expect(try archive.retrievalPlanNow(for: request, keeping: { $0.key.contains("step=18,") }).fields.count == 1)
        let none = try await archive.retrievalPlan(for: request, keeping: { _ in false })
        #expect(none.fields.isEmpty && none.missing.isEmpty)
        await #expect(throws: GribArchiveError.self) { try await archive.retrievalPlan(for: request, keeping: { !$0.key.contains("step=0,") }) }
    }

    @Test("a file shorter than the index says is reported as a damaged archive")
    func damagedArchive() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        _ = try await archive.archive(file: try samples.file([try await samples.message("shortName=2t")]), expecting: nil)
        let plan = try await archive.retrievalPlan(for: try normalised("date=20070323, param=2t"))
        let file = root.file(plan.fields[0].file)
        try FileManager.default.removeItem(atPath: file)
        try Data(repeating: 0, count: 10).write(to: URL(fileURLWithPath: file))

        let error = await #expect(throws: GribArchiveError.self) { try await readAll(plan.fields, from: archive) }
        #expect(error?.reason == .damagedArchive)
        #expect(error?.polytopeError.message.contains(root.path) == false)
    }

    @Test("archives and retrievals at the same time: every retrieval sees whole fields, all archives land")
    func concurrentArchiveAndRetrieve() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let (archive, root) = try GribArchiveTests.makeArchive()
        defer { root.remove() }
        let steps = (0..<8).map { String($0 * 6) }
        let fields = try await samples.surfaceFields(params: ["2t", "msl"], dates: ["20250101", "20250102"], steps: steps)
        let files = try stride(from: 0, to: fields.count, by: 4).map { try samples.file(fields[$0..<($0 + 4)].map(\.bytes)) }
        let known = Set(fields.map(\.bytes))
        // A second archive object on the same root, as another process would open it.
        let other = try GribArchive(configuration: .init(root: URL(fileURLWithPath: root.path)))
        let request = try normalised("param=2t/msl, date=20250101/20250102, step=0/to/42/by/6")

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, file) in files.enumerated() {
                // Each file archived twice, by both objects, so duplicates race too.
                group.addTask { _ = try await archive.archive(file: file, expecting: nil) }
                group.addTask { _ = try await (index.isMultiple(of: 2) ? other : archive).archive(file: file, expecting: nil) }
            }
            for _ in 0..<8 {
                group.addTask {
                    let plan = try await other.retrievalPlan(for: request)
                    let bytes = try await readAll(plan.fields, from: other).bytes
                    var offset = 0
                    for field in plan.fields {
                        let message = Array(bytes[offset..<(offset + Int(field.length))])
                        #expect(known.contains(message))
                        offset += Int(field.length)
                    }
                    #expect(plan.fields.count + plan.missing.count == 32)
                }
            }
            try await group.waitForAll()
        }

        #expect(try await archive.fieldCount() == 32)
        let plan = try await archive.retrievalPlan(for: request)
        #expect(plan.missing == [])
        #expect(try await readAll(plan.fields, from: archive).bytes == Array(fields.map(\.bytes).joined()))
        #expect(try GribArchiveTests.files(under: root, in: "tmp") == [])
    }
}
