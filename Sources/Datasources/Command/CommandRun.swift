import NIOCore
import PolytopeCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One run of a program: starts it, streams its output into a sink chunk by chunk while it
/// runs, and stops it (its whole process group) on the overall timeout, when it stalls, when
/// the output is over the limit, when the sink fails, or when the calling task is cancelled.
/// It returns only once the program has been reaped and every descriptor closed.
struct CommandRun<C: Clock<Duration>>: Sendable {
    /// What the program is, apart from its standard output and error.
    struct Invocation: Sendable {
        var program: String
        var arguments: [String]
        var environment: [String]
        var workingDirectory: String?
    }

    /// How a run ended; interpreted by `CommandFailure`.
    struct Outcome {
        var exit: ExitStatus
        /// Why the run was stopped, if it did not complete on its own.
        var stop: CommandStopReason?
        var log: DiagnosticLog
        var bytes: Int64
        /// Whether all of the program's output was read and written to the sink.
        var complete: Bool
        var readError: (any Error)?
        var sinkError: (any Error)?
    }

    var timeout: Duration
    var stallTimeout: Duration
    var killGrace: Duration
    var maximumOutput: Int64?
    var chunkSize: Int
    var errorPatterns: [String]
    var clock: C

    /// Runs `invocation`; throws only if it cannot be started.
    func run(_ invocation: Invocation, output source: OutputReader.Source, into sink: some ByteSink) async throws -> Outcome {
        let reader = try OutputReader(source: source, chunkSize: chunkSize)
        let started: (ChildProcess, DiagnosticsReader)
        do {
            started = try start(invocation)
        } catch {
            reader.stop()
            await reader.waitUntilClosed()
            throw error
        }
        let (child, diagnostics) = started
        let watch = RunWatch(start: clock.now)
        let stop: @Sendable (CommandStopReason) -> Void = { reason in
            guard watch.recordStop(reason) else { return }
            // The reader first: once the program is gone, the reader would otherwise see
            // the end of its output and the run would look complete.
            reader.stop()
            child.terminate(grace: killGrace)
        }

        var bytes: Int64 = 0
        var complete = false
        var readError: (any Error)?
        var sinkError: (any Error)?
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let status = await child.waitForExit(terminatingOnCancel: killGrace)
                // What a failed program wrote is not wanted.
                if !status.isSuccess { reader.stop() }
                reader.programEnded()
                diagnostics.programEnded()
            }
            group.addTask {
                do { try await clock.sleep(for: timeout) } catch { return }
                stop(.timedOut(timeout))
            }
            group.addTask { await watchForStall(watch, stop: stop) }

            pumping: do {
                while let chunk = try await reader.next() {
                    if let maximumOutput, bytes + Int64(chunk.readableBytes) > maximumOutput {
                        stop(.outputTooLarge(maximumOutput))
                        break pumping
                    }
                    bytes += Int64(chunk.readableBytes)
                    watch.writing(true, at: clock.now)
                    do {
                        try await sink.write(chunk)
                    } catch {
                        sinkError = error
                        break pumping
                    }
                    watch.writing(false, at: clock.now)
                }
                complete = true
            } catch is OutputReader.Stopped {
            } catch is CancellationError {
            } catch {
                readError = error
            }
            if !complete {
                reader.stop()
                child.terminate(grace: killGrace)
            }
            group.cancelAll()
        }
        diagnostics.programEnded()
        let log = await diagnostics.finish()
        await reader.waitUntilClosed()
        let exit = await child.exitStatus
        // A reason to stop that came after a successful end changed nothing.
        let stopReason = complete && exit.isSuccess ? nil : watch.stopReason
        return Outcome(
            exit: exit, stop: stopReason, log: log, bytes: bytes, complete: complete, readError: readError, sinkError: sinkError)
    }

    /// Starts the program with pipes for its standard output and error, and the thread that
    /// reads them.
    private func start(_ invocation: Invocation) throws -> (ChildProcess, DiagnosticsReader) {
        let standardOutput = try Posix.makePipe(nonBlockingRead: true)
        let standardError: (read: Int32, write: Int32)
        do {
            standardError = try Posix.makePipe(nonBlockingRead: true)
        } catch {
            close(standardOutput.read)
            close(standardOutput.write)
            throw error
        }
        let child: ChildProcess
        do {
            defer {
                close(standardOutput.write)
                close(standardError.write)
            }
            child = try ChildProcess.spawn(
                LaunchSpecification(
                    program: invocation.program, arguments: invocation.arguments, environment: invocation.environment,
                    workingDirectory: invocation.workingDirectory, standardOutput: standardOutput.write, standardError: standardError.write))
        } catch {
            close(standardOutput.read)
            close(standardError.read)
            throw error
        }
        do {
            let diagnostics = try DiagnosticsReader(
                standardOutput: standardOutput.read, standardError: standardError.read, errorPatterns: errorPatterns)
            return (child, diagnostics)
        } catch {
            close(standardOutput.read)
            close(standardError.read)
            child.signal(SIGKILL)
            throw error
        }
    }

    /// Returns when the run is cancelled, or after stopping it because no output arrived for
    /// `stallTimeout` (time spent waiting for the sink does not count).
    private func watchForStall(_ watch: RunWatch<C.Instant>, stop: (CommandStopReason) -> Void) async {
        while true {
            let deadline = watch.stallDeadline(limit: stallTimeout, now: clock.now)
            do { try await clock.sleep(until: deadline, tolerance: nil) } catch { return }
            if watch.isStalled(limit: stallTimeout, now: clock.now) {
                stop(.stalled(stallTimeout))
                return
            }
        }
    }
}

/// The shared facts of a run: the first reason to stop it, and when output last moved.
final class RunWatch<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    private struct State {
        var stopReason: CommandStopReason?
        var lastActivity: Instant
        var writing = false
    }
    private let state: Mutex<State>

    init(start: Instant) {
        state = Mutex(State(lastActivity: start))
    }

    var stopReason: CommandStopReason? { state.withLock { $0.stopReason } }

    /// Records why the run stops; false if it was already stopping for another reason.
    func recordStop(_ reason: CommandStopReason) -> Bool {
        state.withLock { state in
            guard state.stopReason == nil else { return false }
            state.stopReason = reason
            return true
        }
    }

    /// A chunk is being handed to the sink (`true`), or has been (`false`).
    func writing(_ writing: Bool, at now: Instant) {
        state.withLock { state in
            state.writing = writing
            state.lastActivity = now
        }
    }

    func stallDeadline(limit: Duration, now: Instant) -> Instant {
        state.withLock { $0.writing ? now.advanced(by: limit) : $0.lastActivity.advanced(by: limit) }
    }

    func isStalled(limit: Duration, now: Instant) -> Bool {
        state.withLock { !$0.writing && $0.lastActivity.advanced(by: limit) <= now }
    }
}
