import Datasources
import Foundation
import Glibc
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import Synchronization
import Testing

/// A directory holding small shell scripts that act as the archive program, and the files they
/// leave behind (pid files, go-files).
struct ScriptDirectory {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory(prefix: "polytope-command-test")
    }

    var path: String { directory.path }

    /// Writes an executable `/bin/sh` script; `body` may use `$DIR` for this directory.
    func script(_ body: String, named name: String = "program") throws -> String {
        let path = directory.file(name)
        try "#!/bin/sh\nDIR='\(directory.path)'\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return path
    }

    /// The process id a script wrote to `name`.
    func pid(_ name: String) throws -> pid_t {
        let text = try String(contentsOfFile: directory.file(name), encoding: .utf8)
        return try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    func touch(_ name: String) {
        _ = FileManager.default.createFile(atPath: directory.file(name), contents: Data())
    }

    func remove() { directory.remove() }
}

/// A configuration that runs `script` with the request file and the target as arguments.
///
/// Scripts are run through `/bin/sh` rather than executed: a script just written by one test
/// may still be open for writing in a process another test is starting at that moment, and
/// executing it would then fail with "text file busy".
func commandConfiguration(_ script: String, output: CommandConfiguration.OutputMode = .fifo) throws -> CommandConfiguration {
    var configuration = CommandConfiguration(command: try ["/bin/sh", script, "{request}", "{target}"].map(CommandTemplate.init))
    configuration.output = output
    configuration.killGrace = .milliseconds(200)
    return configuration
}

func commandRequest(_ text: String = "class: od\nparam: [2t, msl]", user: User = Fixtures.alice) throws -> DatasourceRequest {
    DatasourceRequest(
        id: RequestIdentifier(), user: user, verb: .retrieve, collection: "archive", text: text, document: try RequestTextParser().parse(text))
}

/// Whether a process with this id exists and has not ended (a zombie has ended).
func processExists(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0 || errno == EPERM else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = stat.lastIndex(of: ")") else {
        return false
    }
    let state = stat[stat.index(after: end)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

/// Whether the process ends within `timeout` (a killed process may take a moment to go).
func processEnds(_ pid: pid_t, within timeout: Duration = .seconds(5)) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while processExists(pid) {
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// The message a user would see for `error`, or nil if it is not meant for users.
func userMessage(of error: any Error) -> String? {
    (error as? any UserFacingError)?.userMessage
}

/// Runs `operation`, failing if it takes longer than `seconds` (real time).
func within<T: Sendable>(seconds: Double = 20, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TimedOut()
        }
        return value
    }
}

struct TimedOut: Error {}

/// A sink that counts what it receives without keeping it (except the first bytes), and lets
/// a test wait until a number of bytes has arrived.
final class ObservingSink: ByteSink, Sendable {
    private struct State {
        var byteCount = 0
        var chunkCount = 0
        var largestChunk = 0
        var head: [UInt8] = []
        var nextWaiter = 0
        var waiters: [Int: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    }
    private let state = Mutex(State())
    /// How many leading bytes are kept for `text`.
    let keep: Int

    init(keep: Int = 1 << 16) {
        self.keep = keep
    }

    func write(_ buffer: ByteBuffer) async throws {
        let ready = state.withLock { state in
            state.byteCount += buffer.readableBytes
            state.chunkCount += 1
            state.largestChunk = max(state.largestChunk, buffer.readableBytes)
            if state.head.count < keep { state.head += buffer.readableBytesView.prefix(keep - state.head.count) }
            let count = state.byteCount
            let ready = state.waiters.filter { $0.value.count <= count }
            for id in ready.keys { state.waiters.removeValue(forKey: id) }
            return ready.values.map { $0.continuation }
        }
        for waiter in ready { waiter.resume() }
    }

    var byteCount: Int { state.withLock { $0.byteCount } }
    var chunkCount: Int { state.withLock { $0.chunkCount } }
    var largestChunk: Int { state.withLock { $0.largestChunk } }
    var bytes: [UInt8] { state.withLock { $0.head } }
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Returns once at least `count` bytes have been written (fails the test after 20 s).
    func waitForBytes(atLeast count: Int) async throws {
        try await within { await self.arrival(of: count) }
    }

    private func arrival(of count: Int) async {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.byteCount >= count || Task.isCancelled { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
