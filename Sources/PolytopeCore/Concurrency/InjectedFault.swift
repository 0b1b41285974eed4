import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Faults that end-to-end tests ask a process to inject, to check what survives a crash at an
/// exact point. Armed only by the environment variable `POLYTOPE_INJECT_FAULTS` (names,
/// separated by commas); the server logs a warning at start when any is armed.
package enum InjectedFault: String, Sendable, CaseIterable {
    /// SIGKILL the process after a submission is committed, before it is answered.
    case crashAfterSubmitCommit = "crash-after-submit-commit"

    /// The faults armed in this process.
    package static let armed: Set<InjectedFault> = Set(
        (ProcessInfo.processInfo.environment["POLYTOPE_INJECT_FAULTS"] ?? "").split(separator: ",").compactMap {
            InjectedFault(rawValue: $0.trimmingCharacters(in: .whitespaces))
        })

    /// Dies at once, as in a power cut, if this fault is armed.
    package func strikeIfArmed() {
        if Self.armed.contains(self) { kill(getpid(), SIGKILL) }
    }
}
