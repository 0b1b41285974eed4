import Foundation
import PolytopeTestSupport

/// The data portal of the `http` datasource's tests: nginx and a misbehaving Python server
/// over one directory, started once per test process by `scripts/test-http-portal`.
enum TestDataPortal {
    private static let server = ScriptedTestServer(script: "test-http-portal")

    /// Where the servers are; each test writes its files under a fresh `prefix`.
    struct Site: Sendable {
        /// nginx: `/` serves `root`; `/unavailable/` answers 503; `/private/` wants a token.
        var nginx: String
        /// The Python server: `/flaky/N/...`, `/drop/...`, `/slow/...` over `root`.
        var faults: String
        /// The directory both serve.
        var root: String
        /// The servers' directory (access.log, faults.log).
        var directory: String
        /// A fresh directory name under `root`, for one test's files.
        var prefix: String

        /// Writes `bytes` to `path` under this test's prefix (directories are created).
        func write(_ bytes: [UInt8], to path: String) throws {
            let file = "\(root)/\(prefix)/\(path)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: file))
        }

        /// The lines of nginx's access log (`connection "GET /path HTTP/1.1" status "range"`)
        /// about this test's files.
        func nginxLog() throws -> [String] {
            try String(contentsOfFile: "\(directory)/access.log", encoding: .utf8).split(separator: "\n").map(String.init)
                .filter { $0.contains("/\(prefix)/") }
        }

        /// The lines of the Python server's log (`GET /path range status`) about this test's files.
        func faultsLog() throws -> [String] {
            let text = (try? String(contentsOfFile: "\(directory)/faults.log", encoding: .utf8)) ?? ""
            return text.split(separator: "\n").map(String.init).filter { $0.contains("/\(prefix)/") }
        }
    }

    static func site() async throws -> Site {
        let lines = try await server.lines()
        guard lines.count >= 4 else { throw TestFailure(description: "scripts/test-http-portal printed \(lines)") }
        return Site(nginx: lines[0], faults: lines[2], root: lines[3], directory: lines[1], prefix: "t-\(UUID().uuidString.lowercased())")
    }
}

/// Real GRIB 2 messages made with ecCodes' `grib_set` from the sample shipped with Debian.
enum GRIBMaker {
    static let sample = "/usr/share/eccodes/samples/regular_ll_sfc_grib2.tmpl"

    /// One field: `date` YYYYMMDD, `time` HHMM, `step` in hours, `shortName` such as `2t`.
    static func message(date: String, time: String, step: String, shortName: String) throws -> [UInt8] {
        let directory = try TemporaryDirectory(prefix: "grib")
        defer { directory.remove() }
        let output = directory.file("field.grib2")
        try run("grib_set -s date=\(date),time=\(time),step=\(step),shortName=\(shortName) '\(sample)' '\(output)'")
        return Array(try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// The `keys` of each message of `bytes`, as `grib_ls -p` prints them (one line per message).
    static func list(_ bytes: [UInt8], keys: String = "shortName,step") throws -> [String] {
        let directory = try TemporaryDirectory(prefix: "grib")
        defer { directory.remove() }
        try Data(bytes).write(to: URL(fileURLWithPath: directory.file("result.grib2")))
        try run("grib_ls -p \(keys) '\(directory.file("result.grib2"))' > '\(directory.file("list.txt"))'")
        let text = try String(contentsOfFile: directory.file("list.txt"), encoding: .utf8)
        // grib_ls prints the file name, a header, one line per message, then totals.
        return text.split(separator: "\n").dropFirst(2).prefix { !$0.contains("messages in") }
            .map { $0.split(separator: " ").joined(separator: " ") }
    }

    /// Runs a shell command; throws when it fails.
    static func run(_ command: String) throws {
        let status = system(command + " 2>/dev/null")
        guard status == 0 else { throw TestFailure(description: "\(command) failed with status \(status)") }
    }
}
