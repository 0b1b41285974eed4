import Foundation
import PolytopeConfig

/// The settings of a `command` datasource, read once from its configuration entry.
package struct CommandConfiguration: Sendable {
    /// How the program hands its output over.
    package enum OutputMode: String, Sendable {
        /// A named pipe, read while the program writes; nothing is stored on local disk.
        case fifo
        /// A regular file, read as it grows (for programs that cannot write to a pipe).
        case file
    }

    /// One environment variable set for the program.
    package struct EnvironmentVariable: Sendable, Hashable {
        package var name: String
        package var value: CommandTemplate

        package init(name: String, value: CommandTemplate) {
            self.name = name
            self.value = value
        }
    }

    /// The program and its arguments. Without a `{request}` placeholder anywhere, the request
    /// file is passed as the last argument.
    package var command: [CommandTemplate]
    package var output: OutputMode = .fifo
    /// The longest a whole run may take.
    package var timeout: Duration = .seconds(3600)
    /// The longest the program may go without producing output.
    package var stallTimeout: Duration = .seconds(600)
    /// How long a program asked to stop (`SIGTERM`) has before it is killed (`SIGKILL`).
    package var killGrace: Duration = .seconds(5)
    package var contentType = "application/x-grib"
    /// Regular expressions; an output line matching one is reported to the user.
    package var errorPatterns: [String] = []
    package var environment: [EnvironmentVariable] = []
    /// Whether the program also gets the server's own environment (`PATH`, `HOME`, ...),
    /// but for `withheldVariables`.
    package var inheritEnvironment = true
    /// Variables of the server's environment the program does not inherit: those the
    /// configuration refers to with `${NAME}`, the way secrets (a database password, a
    /// token) get into it, except the ones every process has (`isProcessVariable`). A program
    /// that needs one gets it through `environment`.
    package var withheldVariables: Set<String> = []
    /// Where the program runs; nil for the run's private temporary directory.
    package var workingDirectory: String?
    /// Where the private temporary directories of runs are made.
    package var temporaryDirectory: String = FileManager.default.temporaryDirectory.path
    /// The largest result, in bytes; nil for no limit.
    package var maximumOutput: Int64?
    /// Request keys that are not passed to the program (for example keys used only to choose
    /// the datasource).
    package var omittedKeys: Set<String> = []

    package init(command: [CommandTemplate]) {
        self.command = command
    }

    /// Variables every process has, passed on even when the configuration refers to them
    /// (`data-dir: ${HOME}/polytope`): `PATH`, `HOME`, the user, shell, locale and time zone.
    static func isProcessVariable(_ name: String) -> Bool {
        ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PWD", "TERM"].contains(name) || name.hasPrefix("LC_")
    }

    /// Reads the options of a `command` datasource; problems are reported through `options`
    /// with their key paths, and nil is returned if the datasource cannot be built.
    package static func read(from options: ConfigReader) -> CommandConfiguration? {
        var usable = true
        var command: [CommandTemplate] = []
        if let node = options.node["command"], case .scalar(let text, _) = node.value {
            // A single word: the program alone.
            _ = options.value("command")
            if let template = template(text, at: options, key: "command"), !text.isEmpty {
                command = [template]
            } else {
                if text.isEmpty { options.report("expected the program and its arguments", key: "command") }
                usable = false
            }
        } else if let items = options.list("command") {
            for item in items {
                guard let text = item.scalarText, !text.isEmpty else {
                    item.report("expected a program name or argument (text)")
                    usable = false
                    continue
                }
                if let template = template(text, at: item) { command.append(template) } else { usable = false }
            }
            if items.isEmpty {
                options.report("expected the program and its arguments, for example [/usr/local/bin/mars, \"{request}\"]", key: "command")
                usable = false
            }
        } else if options.contains("command") {
            usable = false
        } else {
            options.report("a command datasource needs 'command': the program and its arguments")
            usable = false
        }

        var configuration = CommandConfiguration(command: command)
        configuration.output = options.choice("output", ["fifo": .fifo, "file": .file], default: .fifo)
        configuration.timeout = options.duration("timeout", default: .seconds(3600), minimum: .milliseconds(1))
        configuration.stallTimeout = options.duration("stall-timeout", default: .seconds(600), minimum: .milliseconds(1))
        configuration.killGrace = options.duration("kill-grace", default: .seconds(5))
        configuration.inheritEnvironment = options.bool("inherit-environment", default: true)
        configuration.withheldVariables = options.diagnostics.referencedVariables.filter { !Self.isProcessVariable($0) }
        configuration.workingDirectory = options.string("working-directory")
        configuration.temporaryDirectory = options.string("temporary-directory", default: configuration.temporaryDirectory)
        configuration.omittedKeys = Set((options.strings("omit-keys", splitOnSlash: true) ?? []).map { $0.lowercased() })

        if let contentType = options.string("content-type") {
            if contentType.contains("/"), !contentType.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 32 } ?? false }) {
                configuration.contentType = contentType
            } else {
                options.report("expected a media type such as application/x-grib, found \"\(contentType)\"", key: "content-type")
            }
        }
        if options.contains("max-output") {
            let bytes = options.byteCount("max-output", default: 0)
            if bytes > 0 { configuration.maximumOutput = bytes } else { options.report("expected a positive size", key: "max-output") }
        }
        for item in options.list("error-patterns") ?? [] {
            guard let pattern = item.scalarText else {
                item.report("expected a regular expression (text)")
                continue
            }
            do {
                _ = try Regex(pattern)
                configuration.errorPatterns.append(pattern)
            } catch {
                item.report("not a valid regular expression: \(error)")
            }
        }
        if let environment = options.section("environment") {
            for (name, value) in environment.entries() {
                guard isVariableName(name) else {
                    value.report("'\(name)' is not a valid environment variable name (letters, digits, '_'; not starting with a digit)")
                    continue
                }
                guard let text = value.scalarText else {
                    value.report("expected a text value")
                    continue
                }
                if let template = template(text, at: value) {
                    configuration.environment.append(EnvironmentVariable(name: name, value: template))
                }
            }
        }
        return usable ? configuration : nil
    }

    private static func template(_ text: String, at reader: ConfigReader, key: String? = nil) -> CommandTemplate? {
        do {
            return try CommandTemplate(text)
        } catch {
            let known = CommandTemplate.Placeholder.names.map { "{\($0)}" }.joined(separator: ", ")
            reader.report("unknown placeholder {\(error.name)}; known: \(known)", key: key)
            return nil
        }
    }

    private static func isVariableName(_ name: String) -> Bool {
        guard let first = name.first, !first.isNumber else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
