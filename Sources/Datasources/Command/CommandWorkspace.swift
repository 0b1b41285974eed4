import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A private directory (mode 0700, a fresh name) for one run: the request file, the output
/// FIFO or file, and by default the program's working directory. `remove()` deletes it with
/// everything in it. Failures to set it up are the host's problem: they are thrown as
/// `PosixFailure`, which the worker logs, rather than shown to the user.
struct CommandWorkspace {
    let path: String

    /// Makes a new directory under `parent`.
    init(in parent: String) throws {
        var template = Array("\(parent)/polytope-command-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw PosixFailure(operation: "mkdtemp in \(parent)", code: errno) }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Creates a file readable by the owner only, holding `text`.
    func createFile(named name: String, containing text: String) throws {
        let descriptor = open(file(name), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("open \(file(name))", errno) }
        defer { close(descriptor) }
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw failure("write \(file(name))", errno) }
            remaining = remaining.dropFirst(written)
        }
    }

    /// Makes a FIFO readable and writable by the owner only.
    func makeFIFO(_ name: String) throws {
        guard mkfifo(file(name), 0o600) == 0 else { throw failure("mkfifo \(file(name))", errno) }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    private func failure(_ operation: String, _ code: Int32) -> PosixFailure {
        PosixFailure(operation: operation, code: code)
    }
}
