import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeCore

/// Reads files, or byte ranges of them, from a data portal over HTTP for the `http` datasource.
///
/// Promises: answers 408, 429 and 5xx, timeouts and broken connections are tried again
/// after a growing pause; an answer cut short is resumed from the first missing byte (with
/// `Range`), never written twice; bodies go to the consumer chunk by chunk, at most 1 MiB
/// each; the configured headers go only to the portal's origin (a redirect elsewhere drops
/// them) and appear in no message, nor does the URL's query or user information.
struct DataPortalClient: Sendable {
    /// The largest chunk handed to a consumer.
    static let chunkLength = 1 << 20
    /// The most redirects followed for one request.
    static let redirectLimit = 5

    /// The process's HTTP client (redirects are followed here, checking where they lead; a
    /// connection that sends nothing for its read timeout is given up, then tried again).
    var shared: SharedHTTPClient
    var http: HTTPClient { shared.client }
    /// Sent with every request to the portal's origin; never logged nor shown.
    var headers: HTTPHeaders
    /// How long one attempt may wait for the answer's head.
    var timeout: Duration
    /// How many times a failed request is tried again.
    var retries: Int
    /// The pause before the first retry; it doubles for each further retry, up to 30 s.
    var backoff: Duration
    /// The least an answer's body must average, in bytes per second over each `timeout`
    /// while it comes; slower is a failed attempt (resumed from the first missing byte). 0:
    /// no floor (a connection silent for the client's read timeout is still given up).
    var minimumSpeed: Int64 = 0

    /// Whether the portal had the resource.
    enum Outcome: Equatable {
        case found
        case notFound
    }

    /// Streams the resource at `url` (or `range` of it) to `consume`.
    /// - Returns: `.notFound` when the portal answers 404 or 410 before any byte was consumed.
    /// - Throws: `PolytopeError` when the portal refuses, or fails `retries + 1` times; any
    ///   error of `consume` as it is.
    func get(_ url: String, range: Range<Int64>? = nil, into consume: (ByteBuffer) async throws -> Void) async throws -> Outcome {
        var delivered: Int64 = 0
        var failures: [DataPortalFailure] = []
        for attempt in 0...retries {
            if attempt > 0 { try await Task.sleep(for: pause(beforeRetry: attempt)) }
            let start = (range?.lowerBound ?? 0) + delivered
            var rangeHeader: String?
            if let range {
                rangeHeader = "bytes=\(start)-\(range.upperBound - 1)"
            } else if delivered > 0 {
                rangeHeader = "bytes=\(start)-"
            }
            do {
                let response = try await execute(url, method: .GET, range: rangeHeader)
                let status = Int(response.status.code)
                switch status {
                case 200, 206:
                    break
                case 404 where delivered == 0, 410 where delivered == 0:
                    await Self.discard(response)
                    return .notFound
                case 408, 429, 404, 410, 500...599:
                    await Self.discard(response)
                    failures.append(.status(status))
                    continue
                default:
                    await Self.discard(response)
                    throw PolytopeError(.unavailable, "the data portal refused the request (HTTP \(status)) for \(URLTemplate.displayed(url))")
                }
                var skip: Int64 = 0
                if status == 200 {
                    skip = start  // the portal ignored the range, or none was asked for
                } else if Self.contentRangeStart(response.headers) != start {
                    await Self.discard(response)
                    failures.append(.badRange)
                    continue
                }
                let announced = response.headers.first(name: "content-length").flatMap { Int64($0) }
                var received: Int64 = 0
                var complete = false
                var pace = SpeedFloor(minimum: minimumSpeed, window: timeout)
                var tooSlow = false
                for try await var chunk in response.body {
                    received += Int64(chunk.readableBytes)
                    if !pace.admits(chunk.readableBytes, at: .now) {
                        tooSlow = true
                        break
                    }
                    if skip > 0 {
                        let dropped = Int(min(skip, Int64(chunk.readableBytes)))
                        chunk.moveReaderIndex(forwardBy: dropped)
                        skip -= Int64(dropped)
                    }
                    if let range {
                        let remaining = range.count - Int(delivered)
                        if chunk.readableBytes > remaining { chunk = chunk.getSlice(at: chunk.readerIndex, length: remaining)! }
                    }
                    while chunk.readableBytes > 0 {
                        let piece = chunk.readSlice(length: min(chunk.readableBytes, Self.chunkLength))!
                        do { try await consume(piece) } catch { throw ConsumerFailure(error: error) }
                        delivered += Int64(piece.readableBytes)
                    }
                    if let range, delivered == Int64(range.count) {
                        complete = true
                        break
                    }
                }
                if tooSlow {
                    failures.append(.tooSlow(minimumSpeed))
                    continue
                }
                if !complete {
                    if let range, delivered < Int64(range.count) {
                        failures.append(.truncated)
                        continue
                    }
                    if let announced, received < announced {
                        failures.append(.truncated)
                        continue
                    }
                }
                return .found
            } catch let failure as ConsumerFailure {
                throw failure.error
            } catch let error as PolytopeError {
                throw error
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                failures.append(DataPortalFailure(error, timeout: timeout))
            }
        }
        throw DataPortalFailure.exhausted(failures, url: url)
    }

    /// The whole resource at `url` in memory, for small files such as indexes; nil when the
    /// portal does not have it.
    /// - Throws: `PolytopeError` when it is larger than `limit` bytes.
    func collect(_ url: String, limit: Int) async throws -> ByteBuffer? {
        var buffer = ByteBuffer()
        let outcome = try await get(url) { chunk in
            guard buffer.readableBytes + chunk.readableBytes <= limit else {
                throw PolytopeError(.unavailable, "\(URLTemplate.displayed(url)) is larger than \(limit) bytes")
            }
            buffer.writeImmutableBuffer(chunk)
        }
        return outcome == .found ? buffer : nil
    }

    /// Whether the portal has the resource at `url` (asked with HEAD, tried again as `get` is).
    func exists(_ url: String) async throws -> Bool {
        var failures: [DataPortalFailure] = []
        for attempt in 0...retries {
            if attempt > 0 { try await Task.sleep(for: pause(beforeRetry: attempt)) }
            do {
                let response = try await execute(url, method: .HEAD, range: nil)
                await Self.discard(response)
                let status = Int(response.status.code)
                switch status {
                case 200..<300: return true
                case 404, 410: return false
                case 408, 429, 500...599: failures.append(.status(status))
                default:
                    throw PolytopeError(.unavailable, "the data portal refused the request (HTTP \(status)) for \(URLTemplate.displayed(url))")
                }
            } catch let error as PolytopeError {
                throw error
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                failures.append(DataPortalFailure(error, timeout: timeout))
            }
        }
        throw DataPortalFailure.exhausted(failures, url: url)
    }

    // MARK: One request

    /// Sends one request, following redirects; the configured headers go to the original
    /// origin only.
    private func execute(_ url: String, method: HTTPMethod, range: String?) async throws -> HTTPClientResponse {
        var current = url
        for _ in 0...Self.redirectLimit {
            var request = HTTPClientRequest(url: current)
            request.method = method
            if Self.origin(of: current) == Self.origin(of: url) { request.headers = headers }
            if let range { request.headers.replaceOrAdd(name: "range", value: range) }
            let response = try await http.execute(request, timeout: TimeAmount(timeout))
            guard [301, 302, 303, 307, 308].contains(response.status.code), let location = response.headers.first(name: "location"),
                let next = URL(string: location, relativeTo: URL(string: current))?.absoluteURL, ["http", "https"].contains(next.scheme ?? "")
            else { return response }
            await Self.discard(response)
            current = next.absoluteString
        }
        throw PolytopeError(.unavailable, "the data portal redirected more than \(Self.redirectLimit) times for \(URLTemplate.displayed(url))")
    }

    private func pause(beforeRetry attempt: Int) -> Duration {
        min(backoff * (1 << min(attempt - 1, 20)), .seconds(30))
    }

    private static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        return "\(components.scheme ?? "")://\(host.lowercased()):\(components.port.map(String.init) ?? "")"
    }

    /// Reads what is left of a body we do not want, so the connection can be used again
    /// (a large one is abandoned, closing the connection).
    private static func discard(_ response: HTTPClientResponse) async {
        _ = try? await response.body.collect(upTo: 64 << 10)
    }

    /// The first byte of a `Content-Range: bytes 100-199/1000` answer.
    private static func contentRangeStart(_ headers: HTTPHeaders) -> Int64? {
        guard let value = headers.first(name: "content-range"), value.hasPrefix("bytes ") else { return nil }
        return Int64(value.dropFirst(6).prefix { $0 != "-" })
    }

    /// An error of the consumer, passed through untouched (it is not the portal's failure).
    private struct ConsumerFailure: Error {
        var error: any Error
    }
}

/// Whether a body arrives at least at `minimum` bytes per second, averaged over each
/// `window` (a burst then a pause within one window is fine; a trickle is not).
struct SpeedFloor {
    let minimum: Int64
    let window: Duration
    private var windowStart: ContinuousClock.Instant?
    private var bytesInWindow: Int64 = 0

    init(minimum: Int64, window: Duration) {
        self.minimum = minimum
        self.window = window
    }

    /// Counts `bytes` arriving at `now`; false once a whole window has passed with fewer
    /// than `minimum` × window bytes.
    mutating func admits(_ bytes: Int, at now: ContinuousClock.Instant) -> Bool {
        guard minimum > 0 else { return true }
        let start = windowStart ?? now
        windowStart = start
        bytesInWindow += Int64(bytes)
        let elapsed = start.duration(to: now)
        guard elapsed >= window else { return true }
        guard Double(bytesInWindow) >= Double(minimum) * elapsed.timeInterval else { return false }
        windowStart = now
        bytesInWindow = 0
        return true
    }
}
