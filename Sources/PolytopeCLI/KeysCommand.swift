import ArgumentParser
import Authentication
import Foundation
import PolytopeConfig
import PolytopeCore
import PolytopeServer

/// `polytope keys ...`: API keys for operators.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List, create and revoke API keys.",
        discussion: """
            Keys live in the request store of the configuration, so every process of the \
            deployment accepts them at once. Users can also get a key themselves with \
            `polytope login` (polytope-client), which calls POST /api/v1/auth/keys.
            """,
        subcommands: [List.self, Create.self, Revoke.self]
    )

    /// Where the store is: the same options as `serve`.
    struct StoreOptions: ParsableArguments {
        @Option(name: .long, help: ArgumentHelp("Configuration file; repeat to deep-merge several.", valueName: "file"))
        var config: [String] = []

        @Option(name: .customLong("data-dir"), help: ArgumentHelp("Data directory (overrides server.data-dir).", valueName: "directory"))
        var dataDirectory: String?

        func administration() throws -> KeyAdministration {
            do {
                let (configuration, _) = try PolytopeConfiguration.load(
                    files: config.isEmpty ? ["polytope.yaml"] : config, overrides: .init(dataDirectory: dataDirectory)
                )
                return try KeyAdministration(configuration: configuration)
            } catch let error as ConfigError {
                printError("\(error)")
                throw ExitCode(78)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys (never the keys themselves).",
            discussion: """
                The state is valid, revoked, expired, orphaned (the user is no longer in the \
                configuration: the key is refused), disabled (the user is disabled: refused) or \
                off (API keys are turned off: only the web page's sessions are accepted). \
                Revoke orphaned keys, or add the user back to make them valid again.
                """
        )

        @OptionGroup var store: StoreOptions
        @Option(name: .long, help: "Only the keys of this user.") var user: String?

        func run() async throws {
            try await reportingRefusals {
                try await list()
            }
        }

        private func list() async throws {
            let administration = try store.administration()
            let keys = try await administration.list(username: user)
            let format = Date.ISO8601FormatStyle()
            print("id\tuser\tcreated\texpires\tstate\tlabel")
            for (key, standing) in keys {
                let state = Self.state(of: key, standing, apiKeysEnabled: administration.apiKeysEnabled)
                print(
                    "\(key.id)\t\(key.user.owner)\t\(key.createdAt.formatted(format))\t\(key.expiresAt.formatted(format))\t\(state)\t\(key.label)"
                )
            }
        }

        /// `revoked`, `expired`, `off` (API keys are turned off and the key is not a web page
        /// session), `orphaned` (the user is no longer configured), `disabled` or `valid`.
        static func state(of key: APIKeyRecord, _ standing: UserStanding, apiKeysEnabled: Bool) -> String {
            if key.revokedAt != nil { return "revoked" }
            if !key.isUsable(at: Date()) { return "expired" }
            if !apiKeysEnabled && !key.isWebSession { return "off" }
            switch standing {
            case .removed: return "orphaned"
            case .disabled: return "disabled"
            case .current, .unmanaged: return "valid"
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key for a user and print it (it is shown only once).",
            discussion: """
                A key of a user from the configuration has that user's roles as configured at each \
                use (so --roles is refused for them); a user from elsewhere needs --realm and --roles.
                """
        )

        @OptionGroup var store: StoreOptions
        @Option(name: .long, help: "The user the key authenticates as.") var user: String
        @Option(name: .long, help: "Comma-separated roles.") var roles: String?
        @Option(name: .long, help: "Realm of the user.") var realm: String?
        @Option(name: .long, help: "A note for `keys list`.") var label: String = "created with polytope keys"

        func run() async throws {
            try await reportingRefusals {
                try await create()
            }
        }

        private func create() async throws {
            let roles = roles.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let (key, record) = try await store.administration().issue(username: user, roles: roles, realm: realm, label: label)
            print(key)
            printError(
                "key \(record.id) for \(record.user.username) (roles: \(record.user.roles.joined(separator: ", "))), expires \(record.expiresAt.formatted(Date.ISO8601FormatStyle()))"
            )
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key by its id (see `keys list`).")

        @OptionGroup var store: StoreOptions
        @Argument(help: "The key's id.") var id: String

        func run() async throws {
            try await reportingRefusals {
                try await revoke()
            }
        }

        private func revoke() async throws {
            let (revoked, sessions) = try await store.administration().revoke(id: id)
            guard revoked else {
                printError("no valid key with id \(id)")
                throw ExitCode(1)
            }
            printError("key \(id) revoked" + (sessions == 0 ? "" : ", and \(sessions) web page session\(sessions == 1 ? "" : "s") started with it"))
        }
    }
}

/// Runs a `keys` subcommand; a refusal (no such store, a configured user given roles, ...)
/// is printed as its message alone, without the error's code, and exits 1.
private func reportingRefusals(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as PolytopeError {
        printError("Error: \(error.message)")
        throw ExitCode(1)
    }
}
