import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small POSIX helpers for the command datasource: pipes, a wake-up pipe for threads blocked
/// in `poll`, dedicated threads, and the glibc extensions Swift does not import.
enum Posix {
    /// The text of an `errno` value, for logs.
    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }

    /// A pipe whose two ends are closed on exec; the read end optionally non-blocking.
    static func makePipe(nonBlockingRead: Bool) throws(PosixFailure) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let result = fds.withUnsafeMutableBufferPointer { buffer in
            if let pipe2 = GlibcExtensions.pipe2 {
                return pipe2(buffer.baseAddress!, O_CLOEXEC)
            }
            return pipe(buffer.baseAddress!)
        }
        guard result == 0 else { throw PosixFailure(operation: "pipe", code: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        if nonBlockingRead { setNonBlocking(fds[0]) }
        return (fds[0], fds[1])
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Waits until one of `descriptors` is readable (or hung up), or `timeoutMilliseconds`
    /// pass (-1: no limit). Returns the descriptors that are ready.
    static func waitReadable(_ descriptors: [Int32], timeoutMilliseconds: Int32) -> Set<Int32> {
        var entries = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let count = entries.withUnsafeMutableBufferPointer { buffer in
            poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds)
        }
        guard count > 0 else { return [] }
        return Set(entries.filter { $0.revents != 0 }.map(\.fd))
    }

    /// Runs `body` on a new thread of its own, so blocking system calls never occupy the
    /// cooperative thread pool.
    static func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}

/// A failed system call, for logs (never shown to users).
struct PosixFailure: Error, CustomStringConvertible {
    var operation: String
    var code: Int32

    var description: String { "\(operation) failed: \(Posix.describe(code))" }
}

/// A pipe that other threads write to in order to wake a thread blocked in `poll`.
final class Wakeup: Sendable {
    /// The end to include in `poll`.
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(PosixFailure) {
        let pipe = try Posix.makePipe(nonBlockingRead: true)
        Posix.setNonBlocking(pipe.write)
        readDescriptor = pipe.read
        writeDescriptor = pipe.write
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Wakes the thread (wake-ups coalesce; a full pipe already means "wake").
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while bytes.withUnsafeMutableBytes({ read(readDescriptor, $0.baseAddress, $0.count) }) > 0 {}
    }
}

/// A value set once by one party and awaited by others; waiting is not cut short by
/// cancellation (used where a caller must know that something really finished).
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }
    private let state = Mutex(State())

    init() {}

    func fulfil(_ value: Value) {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>] in
            guard state.value == nil else { return [] }
            state.value = value
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}

/// glibc functions that Swift's Glibc module does not declare (they need `_GNU_SOURCE`),
/// looked up at run time; nil where the C library lacks them.
enum GlibcExtensions {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutableRawPointer, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutableRawPointer, Int32) -> Int32

    static let pipe2: Pipe2? = symbol("pipe2")
    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29).
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34).
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")

    /// `F_SETPIPE_SZ` (Linux): the capacity of a pipe or FIFO.
    static let setPipeSize: Int32 = 1031

    private static func symbol<T>(_ name: String) -> T? {
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}
