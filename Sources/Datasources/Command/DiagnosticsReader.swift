import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a program's standard output and standard error on a dedicated thread, line by line,
/// into a `DiagnosticLog`: lines matching the error patterns and the last lines of each.
///
/// It takes ownership of both descriptors (non-blocking read ends of pipes). Reading ends at
/// end-of-file on both, or, once `programEnded()` is called, as soon as what is buffered has
/// been read (a helper the program left behind cannot keep it open).
final class DiagnosticsReader: Sendable {
    private struct State {
        var log = DiagnosticLog()
        var programEnded = false
    }
    private let state = Mutex(State())
    private let wakeup: Wakeup
    private let finished = OneShot<Void>()
    /// Bytes of an unfinished line kept at most; the rest of such a line is dropped.
    static let maximumPendingLine = 4096

    /// Starts reading; `errorPatterns` are regular expressions, already checked.
    init(standardOutput: Int32, standardError: Int32, errorPatterns: [String]) throws(PosixFailure) {
        wakeup = try Wakeup()
        Posix.startThread(named: "polytope-command-diagnostics") { [self] in
            let patterns: [Regex<AnyRegexOutput>] = errorPatterns.compactMap { try? Regex($0) }
            readLoop(streams: [standardOutput: .standardOutput, standardError: .standardError], patterns: patterns)
            close(standardOutput)
            close(standardError)
            finished.fulfil(())
        }
    }

    /// The program has ended: read what is buffered, then stop.
    func programEnded() {
        state.withLock { $0.programEnded = true }
        wakeup.signal()
    }

    /// Waits for the reading to end (call `programEnded()` first) and returns the log.
    func finish() async -> DiagnosticLog {
        await finished.value
        return state.withLock { $0.log }
    }

    private func readLoop(streams: [Int32: DiagnosticLog.Stream], patterns: [Regex<AnyRegexOutput>]) {
        var openStreams = streams
        var pending: [Int32: [UInt8]] = [:]
        var chunk = [UInt8](repeating: 0, count: 65536)
        func record(_ bytes: ArraySlice<UInt8>, from stream: DiagnosticLog.Stream) {
            let line = String(decoding: bytes.last == UInt8(ascii: "\r") ? bytes.dropLast() : bytes, as: UTF8.self)
            let matches = patterns.contains { (try? $0.firstMatch(in: line)) != nil }
            state.withLock { $0.log.append(line, from: stream, matchesErrorPattern: matches) }
        }
        /// Reads what `descriptor` has now; false at end-of-file or on an error.
        func readAvailable(_ descriptor: Int32, stream: DiagnosticLog.Stream) -> Bool {
            while true {
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
                if count == 0 { return false }
                var line = pending[descriptor, default: []]
                for byte in chunk[0..<count] {
                    if byte == UInt8(ascii: "\n") {
                        record(line[...], from: stream)
                        line.removeAll(keepingCapacity: true)
                    } else if line.count < Self.maximumPendingLine {
                        line.append(byte)
                    }
                }
                pending[descriptor] = line
            }
        }

        while !openStreams.isEmpty {
            let ended = state.withLock { $0.programEnded }
            let descriptors = Array(openStreams.keys)
            let ready = Posix.waitReadable(descriptors + [wakeup.readDescriptor], timeoutMilliseconds: ended ? 0 : -1)
            if ready.contains(wakeup.readDescriptor) { wakeup.drain() }
            for descriptor in descriptors where ready.contains(descriptor) || ended {
                guard let stream = openStreams[descriptor] else { continue }
                if !readAvailable(descriptor, stream: stream) || ended {
                    if let rest = pending.removeValue(forKey: descriptor), !rest.isEmpty { record(rest[...], from: stream) }
                    openStreams.removeValue(forKey: descriptor)
                }
            }
        }
    }
}
