import ArgumentParser
import PolytopeConfig
import PolytopeServer

/// `polytope config ...`: work with configuration files.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check configuration files.",
        subcommands: [CheckCommand.self]
    )

    /// `polytope config check FILE...`
    struct CheckCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate configuration files and print the merged result.",
            discussion: """
                The files are deep-merged in order (mappings merge, other values are replaced, \
                null removes a key) and ${ENV} references are expanded, exactly as 'serve' does. \
                Secrets are masked in the output. Exits 0 when valid; otherwise prints every \
                problem with its file, line and key path, and exits 1.
                """
        )

        @Argument(help: ArgumentHelp("Configuration files, merged in order.", valueName: "file"))
        var files: [String] = ["polytope.yaml"]

        @Flag(name: .long, help: "Only report problems; do not print the merged configuration.")
        var quiet = false

        func run() throws {
            do {
                let (configuration, root) = try PolytopeConfiguration.load(files: files)
                if !quiet {
                    print(try root.yamlText(), terminator: "")
                }
                printError("configuration is valid: \(files.joined(separator: " + "))")
                for line in configuration.summaryLines { printError(line) }
                for warning in configuration.warnings { printError("warning: \(warning)") }
            } catch let error as ConfigError {
                printError("\(error)")
                throw ExitCode(1)
            }
        }
    }
}
