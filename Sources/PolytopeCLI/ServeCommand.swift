import ArgumentParser
import Foundation
import Logging
import PolytopeConfig
import PolytopeServer

/// `polytope serve`: runs some or all roles in this process.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service (all roles, or the roles given).",
        discussion: """
            Roles: frontend (REST API), broker (dispatch under limits), worker (runs requests), \
            gc (garbage collector), telemetry (/telemetry/v1). Processes that share the same \
            SQLite file and staging directory (the --data-dir) work together, so roles can be \
            spread over several processes on one host:

              polytope serve --role frontend,broker,gc,telemetry
              polytope serve --role worker

            SIGTERM or SIGINT drains every role: the HTTP server stops accepting, running \
            requests get worker.shutdown-grace to finish, the rest are queued again.
            """
    )

    @Flag(name: .long, help: "Run every role (the default when --role is not given).")
    var all = false

    @Option(name: .long, help: "Comma-separated roles to run: frontend, broker, worker, gc, telemetry.")
    var role: String?

    @Option(name: .long, help: ArgumentHelp("Configuration file; repeat to deep-merge several, later ones win.", valueName: "file"))
    var config: [String] = []

    @Option(name: .long, help: "Address to listen on (overrides server.host; default 127.0.0.1).")
    var host: String?

    // Unconditional: `--port -1` is a wrong port (refused by `validate`), not a missing value.
    @Option(name: .long, parsing: .unconditional, help: "Port to listen on (overrides server.port; default 8080, 0 picks a free port).")
    var port: Int?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("Where the SQLite file and staging live (overrides server.data-dir; default ./data).", valueName: "directory"))
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (overrides logging.level).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json (overrides logging.format).")
    var logFormat: String?

    func validate() throws {
        if all && role != nil { throw ValidationError("give either --all or --role, not both") }
        if let role {
            do {
                _ = try Role.parseList(role)
            } catch let error as RoleError {
                throw ValidationError(error.message)  // exit status 64, as for every bad option
            }
        }
        if let logFormat, LogFormat(rawValue: logFormat.lowercased()) == nil { throw ValidationError("--log-format must be text or json") }
        if let logLevel, PolytopeConfiguration.logLevels.firstIndex(of: logLevel.lowercased()) == nil {
            throw ValidationError("--log-level must be one of \(PolytopeConfiguration.logLevels.joined(separator: ", "))")
        }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() async throws {
        let roles = try role.map(Role.parseList) ?? Set(Role.allCases)
        let files = config.isEmpty ? ["polytope.yaml"] : config
        let overrides = PolytopeConfiguration.Overrides(
            host: host, port: port, dataDirectory: dataDirectory, logLevel: logLevel?.lowercased(),
            logFormat: logFormat.flatMap { LogFormat(rawValue: $0.lowercased()) }
        )
        let configuration: PolytopeConfiguration
        do {
            configuration = try PolytopeConfiguration.load(files: files, overrides: overrides).0
        } catch let error as ConfigError {
            printError("polytope: cannot start: \(error)")
            throw ExitCode(78)
        }
        let level = Logger.Level(rawValue: configuration.logging.level) ?? .info
        let format = configuration.logging.format
        LoggingSystem.bootstrap { label in format.makeHandler(label: label, level: level) }
        let logger = Logger(label: "polytope")

        let server: PolytopeServer
        do {
            server = try await PolytopeServer(configuration: configuration, roles: roles, logger: logger)
        } catch {
            printError("polytope: cannot start: \(error)")
            throw ExitCode(1)
        }
        // Every connection and staged file needs a descriptor; the usual soft limit of 1024
        // is too low for a busy server, whatever its roles.
        logger.debug("open-file limit", metadata: ["descriptors": "\(DescriptorLimit.raiseToHardLimit())"])
        keepLargeBuffersInTheHeap()
        let roleNames = roles.sorted().map(\.rawValue).joined(separator: ",")
        logger.info(
            "polytope \(PolytopeCommand.version) starting",
            metadata: ["roles": "\(roleNames)", "config": "\(files.joined(separator: ","))", "data-dir": "\(configuration.server.dataDirectory)"]
        )
        for warning in configuration.warnings { logger.warning("\(warning)") }
        // An IPv6 address is written in brackets in a URL (RFC 3986).
        let host = configuration.server.host.contains(":") ? "[\(configuration.server.host)]" : configuration.server.host
        do {
            try await server.run { port in
                logger.info("listening on http://\(host):\(port)", metadata: ["roles": "\(roleNames)"])
            }
        } catch {
            printError("polytope: stopped: \(server.explain(error))")
            throw ExitCode(1)
        }
        logger.info("polytope stopped")
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Lets glibc serve buffers up to 4 MiB from its heap instead of a fresh `mmap` each.
///
/// Downloads and staging move data in 256 KiB to 1 MiB buffers; above glibc's default
/// threshold (128 KiB) each buffer was a new mapping the kernel had to zero and fault in,
/// which cost about a third of the CPU of a download.
func keepLargeBuffersInTheHeap() {
    #if canImport(Glibc)
        _ = glibcMallopt(-3, 4 << 20)  // M_MMAP_THRESHOLD: 1 MiB chunks come from the heap
        _ = glibcMallopt(-1, 8 << 20)  // M_TRIM_THRESHOLD: give memory back beyond 8 MiB free
        _ = glibcMallopt(-8, 2)  // M_ARENA_MAX: few arenas, so little memory sits idle in them
    #endif
}

#if canImport(Glibc)
    /// glibc's `mallopt` (declared in <malloc.h>, which the Glibc module does not bring in).
    @_silgen_name("mallopt")
    func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
