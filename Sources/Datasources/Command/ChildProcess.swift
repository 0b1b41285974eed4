import Dispatch
import PolytopeCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a program ended.
enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// It called `exit` with this status.
    case exited(Int32)
    /// A signal ended it.
    case signalled(Int32)
    /// Someone else reaped it (for example `SIGCHLD` ignored by the host process).
    case unknown

    init(waitStatus: Int32) {
        let signal = waitStatus & 0x7f
        self = signal == 0 ? .exited((waitStatus >> 8) & 0xff) : .signalled(signal)
    }

    var isSuccess: Bool { self == .exited(0) }

    var description: String {
        switch self {
        case .exited(let status): return "exit status \(status)"
        case .signalled(let signal): return "signal \(signal)"
        case .unknown: return "unknown"
        }
    }
}

/// What to start: the program, its arguments and environment, where its output goes.
struct LaunchSpecification: Sendable {
    /// A path, or a name looked up in the server's `PATH`.
    var program: String
    var arguments: [String]
    /// `NAME=value` entries, the program's whole environment.
    var environment: [String]
    var workingDirectory: String?
    /// Descriptors that become the program's standard output and error (standard input is `/dev/null`).
    var standardOutput: Int32
    var standardError: Int32
}

/// The program could not be started; an operator's problem, logged by the worker and never
/// shown to users as such.
struct CommandLaunchFailure: Error, CustomStringConvertible {
    var program: String
    var reason: String

    var description: String { "the command datasource could not start '\(program)': \(reason)" }
}

/// A program started with `posix_spawn` in a process group of its own.
///
/// Signals go to the whole group, so helpers the program starts stop with it. A dedicated
/// thread waits for the program; when it ends, whatever is left of its group is killed before
/// the program is reaped, so the group id cannot have been reused by then. The program is
/// reaped exactly once, and never signalled afterwards.
final class ChildProcess: Sendable {
    let pid: pid_t

    private struct State {
        var reaped = false
        var terminating = false
    }
    private let state = Mutex(State())
    private let exit = OneShot<ExitStatus>()

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `specification`; throws if the program cannot be started.
    static func spawn(_ specification: LaunchSpecification) throws(CommandLaunchFailure) -> ChildProcess {
        let pid = try launch(specification)
        let child = ChildProcess(pid: pid)
        Posix.startThread(named: "polytope-command-reaper-\(pid)") { child.waitAndReap() }
        return child
    }

    /// Sends `signal` to the program and its process group, unless it has been reaped.
    func signal(_ signal: Int32) {
        state.withLock { state in
            guard !state.reaped else { return }
            _ = kill(-pid, signal)
            _ = kill(pid, signal)
        }
    }

    /// Asks the program to stop (`SIGTERM`) and kills it (`SIGKILL`) if it has not ended
    /// after `grace`. Only the first call has an effect.
    func terminate(grace: Duration) {
        let first = state.withLock { state -> Bool in
            guard !state.reaped, !state.terminating else { return false }
            state.terminating = true
            _ = kill(-pid, SIGTERM)
            _ = kill(pid, SIGTERM)
            _ = kill(-pid, SIGCONT)
            return true
        }
        guard first else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, grace.timeInterval)) {
            self.signal(SIGKILL)
        }
    }

    /// How the program ended, once it has been reaped.
    var exitStatus: ExitStatus {
        get async { await exit.value }
    }

    /// Waits until the program has ended and been reaped; if the waiting task is cancelled,
    /// terminates the program (see `terminate(grace:)`) and still waits for it.
    func waitForExit(terminatingOnCancel grace: Duration) async -> ExitStatus {
        await withTaskCancellationHandler {
            await exit.value
        } onCancel: {
            terminate(grace: grace)
        }
    }

    private func waitAndReap() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        let status = state.withLock { state -> ExitStatus in
            // The program is a zombie now: its pid (and so its group id) is still ours.
            _ = kill(-pid, SIGKILL)
            var raw: Int32 = 0
            var result: pid_t
            repeat {
                result = waitpid(pid, &raw, 0)
            } while result == -1 && errno == EINTR
            state.reaped = true
            return result == pid ? ExitStatus(waitStatus: raw) : .unknown
        }
        exit.fulfil(status)
    }

    private static func launch(_ specification: LaunchSpecification) throws(CommandLaunchFailure) -> pid_t {
        func failure(_ reason: String) -> CommandLaunchFailure {
            CommandLaunchFailure(program: specification.program, reason: reason)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, specification.standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, specification.standardError, 2)
        if let addCloseFrom = GlibcExtensions.addCloseFrom {
            // Descriptors the server opened without close-on-exec must not reach the program.
            _ = withUnsafeMutablePointer(to: &actions) { addCloseFrom(UnsafeMutableRawPointer($0), 3) }
        }
        if let directory = specification.workingDirectory {
            guard let addChdir = GlibcExtensions.addChdir else {
                throw failure("working-directory needs posix_spawn_file_actions_addchdir_np (glibc 2.29 or later)")
            }
            let result = withUnsafeMutablePointer(to: &actions) { actions in
                directory.withCString { addChdir(UnsafeMutableRawPointer(actions), $0) }
            }
            guard result == 0 else { throw failure("working directory \(directory): \(Posix.describe(result))") }
        }

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = CStringArray([specification.program] + specification.arguments)
        let envp = CStringArray(specification.environment)
        defer {
            argv.release()
            envp.release()
        }
        var pid: pid_t = 0
        let result: Int32
        if specification.program.contains("/") {
            result = posix_spawn(&pid, specification.program, &actions, &attributes, argv.pointers, envp.pointers)
        } else {
            result = posix_spawnp(&pid, specification.program, &actions, &attributes, argv.pointers, envp.pointers)
        }
        guard result == 0 else { throw failure(Posix.describe(result)) }
        return pid
    }
}

/// A NULL-terminated array of C strings for `argv` and `envp`; `release()` frees it.
private struct CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    func release() {
        for pointer in pointers { free(pointer) }
    }
}
