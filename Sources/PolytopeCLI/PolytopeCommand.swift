import ArgumentParser

/// `polytope`: the one executable of the service.
@main
struct PolytopeCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "polytope",
        abstract: "Polytope: a data-access service for meteorological archives.",
        discussion: """
            Users submit requests (with polytope-client or curl); the service queues them fairly, \
            runs them on the matching datasource, stages the result and lets them download it.

            Start everything on this machine with the default configuration:
              polytope serve --all
            """,
        version: version,
        subcommands: [ServeCommand.self, ConfigCommand.self, KeysCommand.self, HashPasswordCommand.self]
    )
}
