import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeCore

extension PolytopeServerDatasource {
    /// Streams the finished result into `output`, at exactly the length announced (the 303's
    /// `contentLength`, else the download's own `Content-Length`): a longer result, or a
    /// download whose length differs from the announced one, is refused; a download cut short
    /// (a broken connection, a body shorter than announced, an outage) is resumed with `Range`
    /// from the first missing byte, until `downloadAttemptsInARow` attempts in a row have
    /// brought no new byte, or `downloadAttempts` in all. Bytes reach `output` once each, in
    /// order.
    func download(_ result: RemoteResult, _ forwarding: Forwarding, into output: some ByteSink) async throws {
        var download = ResultDownload(expected: result.announcedLength)
        var outage = RemoteOutage(interval: configuration.pollInterval, tolerance: configuration.outageTolerance)
        var attempts = 0
        var fruitless = 0
        while true {
            attempts += 1
            let before = download.received
            let failure: PolytopeError
            let retryAfter: Duration?
            switch try await downloadAttempt(result, forwarding, &download, into: output) {
            case .complete:
                return
            case .cut(let cut, let asked):
                (failure, retryAfter) = (cut, asked)
            }
            if download.received > before {
                fruitless = 0
                outage.ended()
            } else {
                fruitless += 1
            }
            guard fruitless < Self.downloadAttemptsInARow, attempts < Self.downloadAttempts else {
                throw failures.downloadGivenUp(failure, attempts: attempts)
            }
            try await waitOut(failure, &outage, retryAfter: retryAfter, forwarding)
        }
    }

    /// How far a download has come.
    struct ResultDownload: Sendable {
        /// The result's length, once known.
        var expected: Int64?
        /// The bytes written to the output so far.
        var received: Int64 = 0
    }

    /// How one attempt at the download ended.
    enum DownloadAttemptEnd: Sendable {
        case complete
        /// Cut short by something that may pass; `retryAfter` as the server asked.
        case cut(PolytopeError, retryAfter: Duration?)
    }

    /// One GET of the result, from `download.received` on.
    private func downloadAttempt(
        _ result: RemoteResult, _ forwarding: Forwarding, _ download: inout ResultDownload, into output: some ByteSink
    ) async throws -> DownloadAttemptEnd {
        var get = HTTPClientRequest(url: result.url)
        // Our credential goes only to the other server itself, never to an object store it
        // redirects to (presigned URLs carry their own signature).
        if result.url.hasPrefix(forwarding.base + "/") { get.headers.add(name: "Authorization", value: forwarding.authorization) }
        if download.received > 0 { get.headers.add(name: "Range", value: "bytes=\(download.received)-") }
        let response: HTTPClientResponse
        switch try await open(get, forwarding, during: .download) {
        case .lost(let failure): return .cut(failure, retryAfter: nil)
        case .answered(let answered): response = answered
        }

        // The bytes of this answer before the first one still missing (a server that ignored
        // the range sends the whole result again).
        var skip: Int64
        let length: Int64?
        switch response.status {
        case .ok:
            skip = download.received
            length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        case .partialContent where download.received > 0:
            guard let range = ContentRange(response.headers), range.first == download.received else {
                _ = try? await response.body.collect(upTo: Self.answerLimit)
                return .cut(failures.wrongRange(response.status), retryAfter: nil)
            }
            skip = 0
            length = range.total
        default:
            let body = (try? await response.body.collect(upTo: Self.answerLimit)) ?? ByteBuffer()
            let failure = failures.answer(response.status, body: body, user: forwarding.request.user, during: .download)
            guard RemoteServerFailure.isOutage(response.status) else { throw failure }
            return .cut(failure, retryAfter: Answer(status: response.status, headers: response.headers, body: body).retryAfter)
        }
        if let length {
            if let expected = download.expected, expected != length { throw failures.lengthMismatch(announced: expected, download: length) }
            download.expected = length
        }

        var body = response.body.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await body.next()
            } catch {
                let failure = try transient(error, forwarding, during: .download, midAnswer: true)
                if let expected = download.expected, OutboundFailure(error) == .closed {
                    return .cut(failures.cut(received: download.received, expected: expected), retryAfter: nil)
                }
                return .cut(failure, retryAfter: nil)
            }
            guard var chunk = next else { break }
            guard clock.now() < forwarding.deadline else { throw failures.timedOut(after: configuration.timeout) }
            if skip > 0 {
                let dropped = Int(min(skip, Int64(chunk.readableBytes)))
                chunk.moveReaderIndex(forwardBy: dropped)
                skip -= Int64(dropped)
            }
            if let expected = download.expected, download.received + Int64(chunk.readableBytes) > expected {
                throw failures.tooLong(announced: expected)
            }
            try await output.write(chunk)
            download.received += Int64(chunk.readableBytes)
        }
        // A body without a length ends when the connection closes, cut or not: only the
        // announced length tells.
        if let expected = download.expected, download.received < expected {
            return .cut(failures.cut(received: download.received, expected: expected), retryAfter: nil)
        }
        return .complete
    }
}

/// `Content-Range: bytes 100-199/1000` (RFC 9110, 14.4): the first byte sent and the whole
/// length (nil for `*`).
struct ContentRange: Sendable, Hashable {
    var first: Int64
    var total: Int64?

    init?(_ headers: HTTPHeaders) {
        guard let value = headers.first(name: "Content-Range"), value.hasPrefix("bytes ") else { return nil }
        let spec = value.dropFirst(6)
        guard let first = Int64(spec.prefix { $0 != "-" }), let slash = spec.firstIndex(of: "/") else { return nil }
        self.first = first
        self.total = Int64(spec[spec.index(after: slash)...])
    }
}
