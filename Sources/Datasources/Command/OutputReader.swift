import NIOCore
import PolytopeCore
import Synchronization

#if canImport(CDispatch)
    import CDispatch  // in Linux release builds, `struct stat` is visible through CDispatch only
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a program's output, a FIFO or a file that grows, on a dedicated thread: one chunk of
/// at most `chunkSize` bytes per call to `next()`, and nothing ahead of demand, so memory does
/// not grow with the output and a slow consumer slows the program down (FIFO) instead.
///
/// The output is complete only when the program has ended (`programEnded()`) and everything
/// it wrote has been read: a FIFO is held open for writing by the reader itself, so a program
/// that closes and reopens its target does not end the output early; a file is read up to its
/// current end, then again every few milliseconds, until the program has ended.
final class OutputReader: Sendable {
    /// Where the output is.
    enum Source: Sendable {
        /// A FIFO at `path`, created by the caller.
        case fifo(path: String)
        /// A file the program creates at `path`.
        case file(path: String)
    }

    /// `stop()` was called: the run is over, the rest of the output is not wanted.
    struct Stopped: Error {}

    private struct State {
        var waiter: CheckedContinuation<ByteBuffer?, any Error>?
        var programEnded = false
        var stopped = false
        var finished = false
    }
    private let state = Mutex(State())
    private let wakeup: Wakeup
    private let chunkSize: Int
    private let closed = OneShot<Void>()
    /// How often a file is read again once its current end is reached.
    static let tailInterval: Int32 = 20

    /// Opens `source` (a FIFO at once, without waiting for a writer; a file lazily) and starts
    /// the reading thread.
    init(source: Source, chunkSize: Int) throws(PosixFailure) {
        self.chunkSize = chunkSize
        wakeup = try Wakeup()
        switch source {
        case .fifo(let path):
            let read = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard read >= 0 else { throw PosixFailure(operation: "open \(path)", code: errno) }
            // Held open so that the FIFO never reports end-of-file while the program runs.
            let keeper = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            guard keeper >= 0 else {
                let code = errno
                close(read)
                throw PosixFailure(operation: "open \(path) for writing", code: code)
            }
            _ = fcntl(read, GlibcExtensions.setPipeSize, Int32(min(chunkSize, 1 << 20)))
            Posix.startThread(named: "polytope-command-fifo") { [self] in
                readLoop(descriptor: read, path: nil)
                close(read)
                close(keeper)
                closed.fulfil(())
            }
        case .file(let path):
            Posix.startThread(named: "polytope-command-file") { [self] in
                readLoop(descriptor: -1, path: path)
                closed.fulfil(())
            }
        }
    }

    /// The next chunk, or nil at the end of the output.
    /// - Throws: `Stopped` after `stop()`, `CancellationError` if the task is cancelled (which
    ///   also stops the reader), a `PolytopeError` if the program truncated its output file,
    ///   or a `PosixFailure` if the output cannot be read.
    func next() async throws -> ByteBuffer? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                let refusal: Result<ByteBuffer?, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.stopped { return .failure(Stopped()) }
                    if state.finished { return .success(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let refusal {
                    continuation.resume(with: refusal)
                } else {
                    wakeup.signal()
                }
            }
        } onCancel: {
            stop(with: CancellationError())
        }
    }

    /// The program has ended: once what it wrote has been read, the output ends.
    func programEnded() {
        state.withLock { $0.programEnded = true }
        wakeup.signal()
    }

    /// Ends reading now; a pending `next()` throws `Stopped`.
    func stop() {
        stop(with: Stopped())
    }

    /// Returns once the reading thread has closed its descriptors.
    func waitUntilClosed() async {
        await closed.value
    }

    private func stop(with error: any Error) {
        let waiter = state.withLock { state in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
        wakeup.signal()
    }

    private enum ReadResult {
        case chunk(ByteBuffer)
        /// Nothing to read now.
        case empty
        case end
        case failure(any Error)
    }

    private func readLoop(descriptor: Int32, path: String?) {
        var descriptor = descriptor
        var offset: Int64 = 0
        defer { if path != nil, descriptor >= 0 { close(descriptor) } }
        while true {
            let (wanted, ended, stopped) = state.withLock { ($0.waiter != nil, $0.programEnded, $0.stopped) }
            if stopped { return }
            guard wanted else {
                if !Posix.waitReadable([wakeup.readDescriptor], timeoutMilliseconds: -1).isEmpty { wakeup.drain() }
                continue
            }
            if let path, descriptor < 0 {
                descriptor = open(path, O_RDONLY | O_CLOEXEC)
                if descriptor < 0, errno != ENOENT {
                    deliver(.failure(Self.readFailure("open", code: errno)))
                    return
                }
            }
            let result: ReadResult = descriptor < 0 ? .empty : readChunk(from: descriptor, isFile: path != nil, offset: &offset)
            switch result {
            case .chunk(let buffer):
                deliver(.chunk(buffer))
            case .end, .failure:
                deliver(result)
                return
            case .empty where ended:
                deliver(.end)
                return
            case .empty:
                let watched = path == nil ? [descriptor, wakeup.readDescriptor] : [wakeup.readDescriptor]
                let ready = Posix.waitReadable(watched, timeoutMilliseconds: path == nil ? -1 : Self.tailInterval)
                if ready.contains(wakeup.readDescriptor) { wakeup.drain() }
            }
        }
    }

    /// Reads what is there now, up to `chunkSize` bytes.
    private func readChunk(from descriptor: Int32, isFile: Bool, offset: inout Int64) -> ReadResult {
        var buffer = ByteBufferAllocator().buffer(capacity: chunkSize)
        var outcome: ReadResult = .empty
        while buffer.readableBytes < chunkSize {
            let wanted = chunkSize - buffer.readableBytes
            var count = 0
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { bytes in
                count = read(descriptor, bytes.baseAddress, wanted)
                return max(count, 0)
            }
            if count > 0 { continue }
            if count == 0 {
                outcome = isFile ? truncationCheck(descriptor, offset: offset + Int64(buffer.readableBytes)) : .end
                break
            }
            let code = errno
            if code == EINTR { continue }
            if code != EAGAIN && code != EWOULDBLOCK { outcome = .failure(Self.readFailure("read", code: code)) }
            break
        }
        guard buffer.readableBytes > 0 else { return outcome }
        offset += Int64(buffer.readableBytes)
        return .chunk(buffer)
    }

    /// At the current end of a file: `.empty`, or a failure if the program truncated the file
    /// below what has already been sent.
    /// The size of the open file, or nil when it cannot be read.
    private static func fileSize(_ descriptor: Int32) -> Int64? {
        #if canImport(Glibc)
            var status = Glibc.stat()
        #else
            var status = Darwin.stat()
        #endif
        guard fstat(descriptor, &status) == 0 else { return nil }
        return Int64(status.st_size)
    }

    private func truncationCheck(_ descriptor: Int32, offset: Int64) -> ReadResult {
        guard let size = Self.fileSize(descriptor), size < offset else { return .empty }
        return .failure(PolytopeError(.internalError, "the archive command truncated its output file while it was being read"))
    }

    /// A host problem, logged by the worker rather than shown to the user.
    private static func readFailure(_ operation: String, code: Int32) -> PosixFailure {
        PosixFailure(operation: "\(operation) of the command's output", code: code)
    }

    private func deliver(_ result: ReadResult) {
        let waiter = state.withLock { state in
            if case .chunk = result {} else { state.finished = true }
            defer { state.waiter = nil }
            return state.waiter
        }
        switch result {
        case .chunk(let buffer): waiter?.resume(returning: buffer)
        case .end, .empty: waiter?.resume(returning: nil)
        case .failure(let error): waiter?.resume(throwing: error)
        }
    }
}
