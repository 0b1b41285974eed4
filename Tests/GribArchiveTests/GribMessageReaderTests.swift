import Foundation
import GribArchive
import MarsLanguage
import PolytopeTestSupport
import Testing

@Suite("Reading GRIB messages with ecCodes")
struct GribMessageReaderTests {
    @Test("every message of a file, with its offset, length and MARS keys")
    func messagesOfAFile() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let surface = try await samples.message("date=20250101,time=1200,step=6,shortName=2t")
        let levels = try await samples.message("level=500,shortName=t", template: GribSamples.pressureLevels)
        let local = try await samples.message("date=20250102,time=0,step=12,shortName=msl", template: GribSamples.gaussian)
        let grib1 = Array(try Data(contentsOf: URL(fileURLWithPath: GribSamples.grib1)))
        let file = try samples.file([surface, levels, local, grib1])

        let messages = try GribMessageReader().messages(in: file)

        #expect(messages.map(\.number) == [1, 2, 3, 4])
        let lengths = [surface, levels, local, grib1].map { Int64($0.count) }
        #expect(messages.map(\.length) == lengths)
        #expect(messages.map(\.offset) == [0, lengths[0], lengths[0] + lengths[1], lengths[0] + lengths[1] + lengths[2]])
        #expect(messages[0].marsKeys == ["date": "20250101", "time": "1200", "step": "6", "levtype": "sfc", "param": "167"])
        #expect(messages[1].marsKeys["levelist"] == "500")
        #expect(messages[2].marsKeys["class"] == "od")
        #expect(messages[3].marsKeys["param"] == "129.128")
    }

    @Test("the bytes handed over are the message's own")
    func bytesOfEachMessage() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let first = try await samples.message("step=6,shortName=2t")
        let second = try await samples.message("step=12,shortName=msl")
        var seen: [[UInt8]] = []
        try GribMessageReader().forEachMessage(in: try samples.file([first, second])) { _, bytes in seen.append(Array(bytes)) }
        #expect(seen == [first, second])
    }

    @Test("MARS keys are normalised as requests are: time HHMM, param id, expver in 4, GRIB 1 parameter tables")
    func normalisedKeys() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let local = try await samples.message("date=20250102,time=0,step=12,shortName=msl,expver=1", template: GribSamples.gaussian)
        let grib1 = Array(try Data(contentsOf: URL(fileURLWithPath: GribSamples.grib1)))
        let messages = try GribMessageReader().messages(in: try samples.file([local, grib1]))

        let keys = try messages.map { try FieldKey.normalising($0) }

        #expect(
            keys[0].canonical
                == "class=od,date=20250102,domain=g,expver=0001,levtype=sfc,param=151,step=12,stream=oper,time=0000,type=an")
        #expect(keys[0].schema == "class,date,domain,expver,levtype,param,step,stream,time,type")
        #expect(keys[1].values["param"] == "129")
        #expect(keys[1].values["levelist"] == "500")
        #expect(
            keys[0].values
                == (try normalised("class=OD, date=2025-01-02, domain=g, expver=1, levtype=sfc, param=msl, step=12h, stream=oper, time=0, type=an"))
                .fields
                .reduce(into: [:]) { $0[$1.key] = $1.values[0] })
    }

    @Test("a damaged or missing file is an error, not a crash")
    func damagedFiles() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        let message = try await samples.message("step=6,shortName=2t")
        let truncated = try samples.file([Array(message.prefix(message.count - 20))])
        #expect(throws: GribArchiveError.self) { try GribMessageReader().messages(in: truncated) }
        let missing = URL(fileURLWithPath: samples.directory.file("nothing-here.grib"))
        #expect { try GribMessageReader().messages(in: missing) } throws: { error in
            (error as? GribArchiveError)?.reason == .unreadableFile
        }
    }

    @Test("many readers at once (ecCodes calls are serialised)")
    func concurrentReaders() async throws {
        let samples = try GribSamples()
        defer { samples.remove() }
        var messages: [[UInt8]] = []
        for step in 0..<8 { messages.append(try await samples.message("step=\(step),shortName=2t")) }
        let file = try samples.file(messages)
        try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 {
                group.addTask { try GribMessageReader().messages(in: file).map { $0.marsKeys["step"] ?? "" } }
            }
            for try await steps in group {
                #expect(steps == (0..<8).map(String.init))
            }
        }
    }
}
