import Foundation
import GribArchive
import MarsLanguage
import NIOCore
import PolytopeCore
import PolytopeTestSupport

/// Real GRIB messages made with ecCodes' tools from the samples Debian ships
/// (`libeccodes-data`), and ways to look at results with `grib_ls`.
struct GribSamples {
    static let samples = "/usr/share/eccodes/samples"
    /// GRIB 2, surface, regular lat-lon: no local section (keys date, time, step, levtype, param).
    static let surface = "\(samples)/regular_ll_sfc_grib2.tmpl"
    /// GRIB 2, pressure levels (adds levelist).
    static let pressureLevels = "\(samples)/regular_ll_pl_grib2.tmpl"
    /// GRIB 1, pressure levels, `param=129.128`.
    static let grib1 = "\(samples)/GRIB1.tmpl"
    /// GRIB 2, Gaussian grid with an ECMWF local section (class, stream, type, expver, domain), 27 kB.
    static let gaussian = "\(samples)/gg_sfc_grib2.tmpl"

    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "grib-samples")
    }

    func remove() { directory.remove() }

    /// One message: `template` with `settings` (`date=20250101,time=1200,step=6,shortName=2t`).
    func message(_ settings: String, template: String = GribSamples.surface) throws -> [UInt8] {
        let output = directory.file("\(UUID().uuidString).grib")
        try Self.run("grib_set", "-s", settings, template, output)
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Surface fields (`shortName`, `date`, `time`, `step`) for every combination, in the
    /// order given (the first list varies slowest).
    func surfaceFields(params: [String], dates: [String], times: [String] = ["1200"], steps: [String]) throws -> [Field] {
        var fields: [Field] = []
        for param in params {
            for date in dates {
                for time in times {
                    for step in steps {
                        let bytes = try message("date=\(date),time=\(time),step=\(step),shortName=\(param)")
                        fields.append(Field(param: param, date: date, time: time, step: step, bytes: bytes))
                    }
                }
            }
        }
        return fields
    }

    /// A file holding `messages` one after another.
    func file(_ messages: [[UInt8]], name: String = UUID().uuidString + ".grib") throws -> URL {
        let url = URL(fileURLWithPath: directory.file(name))
        try Data(messages.flatMap { $0 }).write(to: url)
        return url
    }

    /// `grib_ls -p keys` of `bytes`: one line per message, columns separated by one space.
    func list(_ bytes: [UInt8], keys: String = "date,time,step,shortName") throws -> [String] {
        let url = try file([bytes])
        let text = try Self.run("grib_ls", "-p", keys, url.path)
        return text.split(separator: "\n").dropFirst(2).prefix { !$0.contains("messages in") }
            .map { $0.split(separator: " ").joined(separator: " ") }
    }

    /// Runs a tool without a shell; its standard output, or an error naming it when it fails.
    @discardableResult
    static func run(_ tool: String, _ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(description: "\(tool) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// One surface field made by `surfaceFields`.
    struct Field {
        var param: String
        var date: String
        var time: String
        var step: String
        var bytes: [UInt8]
    }
}

/// A MARS request (`date=20250101/20250102, param=2t, step=0/to/12/by/6`) normalised as a
/// collection with `language: mars` does.
func normalised(_ text: String) throws -> NormalisedRequest {
    try MarsRequestNormaliser().normalise(try RequestTextParser().parse(text), now: Date())
}

/// The bytes of `fields` read from `archive`, and the length of each chunk.
func readAll(_ fields: [ArchivedField], from archive: GribArchive, chunkLength: Int = 1 << 20) async throws -> (bytes: [UInt8], chunks: [Int]) {
    var bytes: [UInt8] = []
    var chunks: [Int] = []
    try await archive.read(fields, chunkLength: chunkLength) { chunk in
        bytes += chunk.readableBytesView
        chunks.append(chunk.readableBytes)
    }
    return (bytes, chunks)
}
