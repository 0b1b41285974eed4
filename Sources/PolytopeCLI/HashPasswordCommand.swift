import ArgumentParser
import Authentication
import Foundation

/// `polytope hash-password`: makes a `password-hash` for the configuration.
struct HashPasswordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash-password",
        abstract: "Print a salted hash of a password, for authentication.users[].password-hash.",
        discussion: "The password is read from standard input (first line), or asked for without echo on a terminal."
    )

    @Option(name: .long, help: "PBKDF2 rounds.") var rounds: Int = PasswordHash.defaultRounds

    func validate() throws {
        if !(100_000...PasswordHash.maximumRounds).contains(rounds) {
            throw ValidationError("--rounds must be between 100000 and \(PasswordHash.maximumRounds)")
        }
    }

    func run() throws {
        let password: String
        if isatty(STDIN_FILENO) != 0, let entered = getpass("Password: ") {
            password = String(cString: entered)
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        guard !password.isEmpty else {
            printError("polytope: no password given")
            throw ExitCode(1)
        }
        print(try PasswordHash(hashing: password, rounds: rounds).encoded)
    }
}
