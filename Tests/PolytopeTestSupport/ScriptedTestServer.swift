import Foundation
import Synchronization

/// A server for tests started by one of this repository's scripts (`<script> start` prints
/// what tests need, one item per line, the server's directory second), once per test
/// process however many tests ask, and stopped (`<script> stop DIR`) when the process exits.
package actor ScriptedTestServer {
    private let script: String
    private var started: Task<[String], any Error>?

    /// - Parameter script: a path relative to the repository's `scripts/`.
    package init(script: String) {
        self.script = repositoryRoot + "/scripts/" + script
    }

    /// The lines the script printed, starting the server on first use.
    package func lines() async throws -> [String] {
        if let started { return try await started.value }
        // An unstructured task on purpose: it is shared by every test that asks, and must not
        // be cancelled with the first one.
        let script = script
        let task = Task { try await onThreadOfItsOwn { try Self.start(script) } }
        started = task
        return try await task.value
    }

    /// Runs the script through ``shellOutput(_:)`` (Foundation's `Process` did not notice the
    /// script ending inside the test runner, and the server it starts would keep a pipe open).
    private static func start(_ script: String) throws -> [String] {
        let (status, text) = shellOutput("'\(script)' start < /dev/null")
        let lines = text.split(separator: "\n").map(String.init)
        guard status == 0, lines.count >= 2 else {
            throw TestFailure(description: "could not start a test server with \(script) (status \(status))")
        }
        stopAtExit(script: script, directory: lines[1])
        return lines
    }

    /// Stop commands to run when the test process exits.
    private static let stopCommands = Mutex<[String]>([])

    private static func stopAtExit(script: String, directory: String) {
        let first = stopCommands.withLock { commands in
            commands.append("'\(script)' stop '\(directory)' > /dev/null 2>&1")
            return commands.count == 1
        }
        guard first else { return }
        atexit {
            for command in ScriptedTestServer.stopCommands.withLock({ $0 }) { _ = system(command) }
        }
    }
}

/// Runs `command` with `system` and returns its exit status and standard output. The output
/// goes through a temporary file, not a pipe: a server that another test starts at the same
/// moment can inherit a pipe's write end and keep it open, and a read to the end of the pipe
/// then never ends (`swift test` hung on that once). `system` waits for and reaps the child.
package func shellOutput(_ command: String) -> (status: Int32, output: String) {
    let path = NSTemporaryDirectory() + "polytope-test-output-\(UUID().uuidString).txt"
    defer { try? FileManager.default.removeItem(atPath: path) }
    let status = system("\(command) > '\(path)'")
    return (status, (try? String(contentsOfFile: path, encoding: .utf8)) ?? "")
}

/// Runs blocking `work` (a child process, a `system` call) on a thread of its own and
/// returns its result. On the tasks' threads (two on a 2-core machine) it would hold one for
/// seconds, and every timer of the tests running meanwhile would fire late.
package func onThreadOfItsOwn<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// The root of this repository (tests find its scripts there).
package let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
