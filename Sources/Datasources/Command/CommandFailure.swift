import Foundation
import PolytopeConfig
import PolytopeCore

/// Why a run was stopped before the program ended on its own.
enum CommandStopReason: Sendable, Equatable {
    case timedOut(Duration)
    case stalled(Duration)
    case outputTooLarge(Int64)
}

/// Decides, from how a run ended, whether it failed and what the user is told. Pure.
///
/// Lines the program printed that match an error pattern are the message; without them, the
/// exit status or signal and the program's last lines of standard error are. Configured
/// environment values (credentials) are masked wherever they would appear.
struct CommandFailure: Sendable, Equatable {
    var code: PolytopeError.Code
    var message: String

    /// The failure of a run, or nil if it succeeded.
    static func of(exit: ExitStatus, stop: CommandStopReason?, log: DiagnosticLog, secrets: [String] = []) -> CommandFailure? {
        var matched = log.matchedLines
        if log.moreMatches > 0 { matched.append("(and \(log.moreMatches) more error lines)") }
        let failure: CommandFailure
        if let stop {
            let reason = Self.sentence(for: stop)
            var code = PolytopeError.Code.unavailable
            if case .outputTooLarge = stop { code = .tooLarge }
            failure = CommandFailure(
                code: code,
                message: matched.isEmpty ? reason : ([reason + ". Errors reported:"] + matched).joined(separator: "\n"))
        } else if !matched.isEmpty {
            failure = CommandFailure(code: .invalidRequest, message: matched.joined(separator: "\n"))
        } else {
            switch exit {
            case .exited(0):
                return nil
            case .exited(let status):
                failure = CommandFailure(code: .invalidRequest, message: withLastLines("the archive command failed with exit status \(status)", log))
            case .signalled(let signal):
                failure = CommandFailure(
                    code: .internalError, message: withLastLines("the archive command was ended by signal \(signal) (\(signalName(signal)))", log))
            case .unknown:
                failure = CommandFailure(
                    code: .internalError, message: withLastLines("the archive command ended, but its exit status is unknown", log))
            }
        }
        return CommandFailure(code: failure.code, message: redact(failure.message, secrets: secrets))
    }

    /// The error to throw.
    var error: PolytopeError { PolytopeError(code, message) }

    static func sentence(for stop: CommandStopReason) -> String {
        switch stop {
        case .timedOut(let limit): return "the archive command did not finish within \(HumanDuration.format(limit)); stopped"
        case .stalled(let limit): return "the archive command produced no data for \(HumanDuration.format(limit)); stopped"
        case .outputTooLarge(let limit): return "the result is larger than the limit of \(HumanByteCount.format(limit)); stopped"
        }
    }

    /// Replaces every occurrence of a secret (of four characters or more) by `***`.
    static func redact(_ text: String, secrets: [String]) -> String {
        secrets.filter { $0.count >= 4 }.sorted { $0.count > $1.count }.reduce(text) { text, secret in
            text.replacingOccurrences(of: secret, with: "***")
        }
    }

    private static func withLastLines(_ sentence: String, _ log: DiagnosticLog) -> String {
        let lines = log.lastLines
        return lines.isEmpty ? sentence : ([sentence + ":"] + lines).joined(separator: "\n")
    }

    private static func signalName(_ signal: Int32) -> String {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL",
            11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM", 24: "SIGXCPU", 25: "SIGXFSZ",
        ]
        return names[signal] ?? "signal \(signal)"
    }
}
