import Foundation

/// Real GRIB messages made with ecCodes' tools from the samples Debian ships
/// (`libeccodes-data`), and ways to look at results with `grib_ls`.
package struct GribSamples {
    package static let samples = "/usr/share/eccodes/samples"
    /// GRIB 2, surface, regular lat-lon: no local section (keys date, time, step, levtype, param).
    package static let surface = "\(samples)/regular_ll_sfc_grib2.tmpl"
    /// GRIB 2, pressure levels (adds levelist).
    package static let pressureLevels = "\(samples)/regular_ll_pl_grib2.tmpl"
    /// GRIB 1, pressure levels, `param=129.128`.
    package static let grib1 = "\(samples)/GRIB1.tmpl"
    /// GRIB 2, Gaussian grid with an ECMWF local section (class, stream, type, expver, domain), 27 kB.
    package static let gaussian = "\(samples)/gg_sfc_grib2.tmpl"

    package let directory: TemporaryDirectory

    package init() throws {
        directory = try TemporaryDirectory(prefix: "grib-samples")
    }

    package func remove() { directory.remove() }

    /// One message: `template` with `settings` (`date=20250101,time=1200,step=6,shortName=2t`).
    package func message(_ settings: String, template: String = GribSamples.surface) async throws -> [UInt8] {
        let output = directory.file("\(UUID().uuidString).grib")
        try await Self.run("grib_set", "-s", settings, template, output)
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// Surface fields (`shortName`, `date`, `time`, `step`) for every combination, in the
    /// order given (the first list varies slowest).
    package func surfaceFields(params: [String], dates: [String], times: [String] = ["1200"], steps: [String]) async throws -> [Field] {
        var fields: [Field] = []
        for param in params {
            for date in dates {
                for time in times {
                    for step in steps {
                        let bytes = try await message("date=\(date),time=\(time),step=\(step),shortName=\(param)")
                        fields.append(Field(param: param, date: date, time: time, step: step, bytes: bytes))
                    }
                }
            }
        }
        return fields
    }

    /// A file holding `messages` one after another.
    package func file(_ messages: [[UInt8]], name: String = UUID().uuidString + ".grib") throws -> URL {
        let url = URL(fileURLWithPath: directory.file(name))
        try Data(messages.flatMap { $0 }).write(to: url)
        return url
    }

    /// `grib_ls -p keys` of `bytes`: one line per message, columns separated by one space.
    package func list(_ bytes: [UInt8], keys: String = "date,time,step,shortName") async throws -> [String] {
        let url = try file([bytes])
        let text = try await Self.run("grib_ls", "-p", keys, url.path)
        return text.split(separator: "\n").dropFirst(2).prefix { !$0.contains("messages in") }
            .map { $0.split(separator: " ").joined(separator: " ") }
    }

    /// Runs `/usr/bin/<tool>` with its arguments quoted for the shell (``shellOutput(_:)``), on
    /// a thread of its own (not one of the tasks' threads, which the tests running in parallel
    /// need for their timers); its standard output, or an error naming it when it fails.
    @discardableResult
    package static func run(_ tool: String, _ arguments: String...) async throws -> String {
        let quoted = (["/usr/bin/\(tool)"] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let (status, output) = try await onThreadOfItsOwn { shellOutput(quoted.joined(separator: " ") + " 2> /dev/null < /dev/null") }
        guard status == 0 else {
            throw TestFailure(description: "\(tool) \(arguments.joined(separator: " ")) failed with status \(status)")
        }
        return output
    }

    /// One surface field made by `surfaceFields`.
    package struct Field {
        package var param: String
        package var date: String
        package var time: String
        package var step: String
        package var bytes: [UInt8]
    }
}
