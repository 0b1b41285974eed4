import Foundation
import NIOCore
import NIOHTTP1
import PolytopeCore
import Synchronization

/// Keeps each HTTP/1 connection honest, just above NIO's HTTP/1 codec (where the protocol
/// version, parser errors and raw body bytes are still visible):
///
/// - a request body that arrives slower than the minimum rate (`BodyRateMeter`) gets 408
///   and the connection is closed, so trickled bodies cannot hold connections forever;
/// - a response sent before its request's body was read (a 401, a 413) closes the
///   connection instead of reading the rest of a body nobody wants;
/// - HTTP/1.0 requests without keep-alive are closed after their response;
/// - `Expect: 100-continue` is answered for requests that carry credentials (others get
///   their refusal at once instead of an invitation to send the body);
/// - requests the parser cannot read (bad chunking, unknown transfer codings, oversized
///   headers) or without their `Host` get a JSON 400 or 431, and `CONNECT` a 405 (without a
///   body: NIO's encoder sends none to a CONNECT), and the connection is closed, instead of a
///   500 or a hang.
package final class HTTP1ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPServerRequestPart
    package typealias InboundOut = HTTPServerRequestPart
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    /// What the guard enforces.
    package struct Policy: Sendable, Hashable {
        /// Slowest accepted request body, in bytes per second, measured over `bodyRateWindow`.
        package var minimumBodyRate: Int
        package var bodyRateWindow: Duration
        /// The header limit, for the 431 message.
        package var maximumHeaderSize: Int
        package var maximumHeaderFields: Int

        package init(
            minimumBodyRate: Int = 1024, bodyRateWindow: Duration = .seconds(10), maximumHeaderSize: Int = 32 * 1024, maximumHeaderFields: Int = 200
        ) {
            self.minimumBodyRate = minimumBodyRate
            self.bodyRateWindow = bodyRateWindow
            self.maximumHeaderSize = maximumHeaderSize
            self.maximumHeaderFields = maximumHeaderFields
        }
    }

    private let policy: Policy
    private let now: @Sendable () -> ContinuousClock.Instant
    /// Set between a request head and its end.
    private var meter: BodyRateMeter?
    /// Whether each request not yet answered in full asked for keep-alive, oldest first. A
    /// client may send its next request while the end of a response is still on its way down
    /// the pipeline (a file region is written before the end), so a response is matched with
    /// its own request, not with the latest one.
    private var pendingKeepAlive: [Bool] = []
    /// Requests whose body was read to its end, and responses written to their end.
    private var requestsRead = 0
    private var responsesWritten = 0
    private var responseStarted = false
    private var closing = false
    private var check: Scheduled<Void>?

    /// - Parameter now: the clock body rates are measured with (tests pass a manual one).
    package init(policy: Policy, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.policy = policy
        self.now = now
    }

    // MARK: Inbound

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            if let refusal = Self.refusal(of: head) {
                respondAndClose(context: context, status: refusal.status, message: refusal.message)
                return
            }
            pendingKeepAlive.append(head.isKeepAlive)
            meter = BodyRateMeter(minimumBytesPerSecond: policy.minimumBodyRate, window: policy.bodyRateWindow)
            if head.headers.contains(name: "expect"), head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }),
                !head.headers["authorization"].isEmpty
            {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
        case .body(let buffer):
            if meter?.received(buffer.readableBytes, at: now()) == true {
                bodyTooSlow(context: context)
                return
            }
        case .end:
            meter = nil
            requestsRead += 1
            check?.cancel()
            check = nil
        }
        context.fireChannelRead(data)
    }

    /// The body-rate check runs on a timer only while a request's body is still incomplete
    /// after a batch of reads: most requests arrive whole in one, and need none.
    package func channelReadComplete(context: ChannelHandlerContext) {
        if meter != nil, check == nil, !closing { scheduleCheck(context: context) }
        context.fireChannelReadComplete()
    }

    package func read(context: ChannelHandlerContext) {
        meter?.startWaiting(at: now())
        context.read()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if error == .headerOverflow {
            respondAndClose(
                context: context, status: .requestHeaderFieldsTooLarge,
                message:
                    "The request headers are too large: at most \(policy.maximumHeaderSize) bytes and \(policy.maximumHeaderFields) fields are accepted."
            )
        } else {
            respondAndClose(context: context, status: .badRequest, message: "The request is not valid HTTP/1.1 (\(error)).")
        }
    }

    /// A client that closed its sending side has gone (Hummingbird allows half-closure, so the
    /// channel stays active): work queued for it may be dropped (`ClientDepartures`).
    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { ClientDepartures.record(context.channel) }
        context.fireUserInboundEventTriggered(event)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        ClientDepartures.forget(context.channel)
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        ClientDepartures.forget(context.channel)
        check?.cancel()
        check = nil
    }

    // MARK: Outbound

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !closing else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(var head) where !head.isInformational:
            responseStarted = true
            if isLastResponse {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                context.write(wrapOutboundOut(.head(head)), promise: promise)
                return
            }
            context.write(data, promise: promise)
        case .end where isLastResponse:
            closing = true
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        case .end:
            responsesWritten += 1
            responseStarted = false
            if !pendingKeepAlive.isEmpty { pendingKeepAlive.removeFirst() }
            context.write(data, promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    // MARK: Helpers

    /// The response being written answers a request whose body was not read to its end, or
    /// one without keep-alive (HTTP/1.0): the connection closes after it.
    private var isLastResponse: Bool {
        requestsRead <= responsesWritten || pendingKeepAlive.first == false
    }

    private func scheduleCheck(context: ChannelHandlerContext) {
        check?.cancel()
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        let interval = TimeAmount.nanoseconds(max(policy.bodyRateWindow.nanoseconds / 2, 1_000_000))
        check = loop.scheduleTask(in: interval) { [self] in
            check = nil
            guard meter != nil else { return }
            if meter?.isTooSlow(at: now()) == true {
                bodyTooSlow(context: context)
            } else {
                scheduleCheck(context: context)
            }
        }
    }

    private func bodyTooSlow(context: ChannelHandlerContext) {
        let rate = policy.minimumBodyRate
        respondAndClose(
            context: context, status: .requestTimeout,
            message: "The request body arrived too slowly (less than \(rate) bytes per second); the connection is closed.")
    }

    /// Answers `status` with a JSON message, unless a response has started, then closes.
    private func respondAndClose(context: ChannelHandlerContext, status: HTTPResponseStatus, message: String) {
        guard !closing else { return }
        closing = true
        meter = nil
        check?.cancel()
        check = nil
        guard !responseStarted else {
            context.close(promise: nil)
            return
        }
        let body = ByteBuffer(string: JSONText.object(["message": message]))
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: "\(body.readableBytes)")
        headers.add(name: "connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    /// A request refused before it reaches the router: `CONNECT` (405), an HTTP/1.1 request
    /// without exactly one non-empty `Host` (400), and a body coding this server would
    /// otherwise ignore and read as plain bytes: transfer codings other than `chunked` (400,
    /// like NIO's own refusal of a lone unknown coding, rather than RFC 9112's suggested 501:
    /// the request is the client's mistake) and content codings other than `identity` (415).
    static func refusal(of head: HTTPRequestHead) -> (status: HTTPResponseStatus, message: String)? {
        if head.method == .CONNECT {
            // The codec would take the rest of the connection for a tunnel, which then hung.
            return (.methodNotAllowed, "CONNECT is not supported: this server is not a proxy.")
        }
        if head.version.major == 1, head.version.minor >= 1 {
            // RFC 9112 §3.2; without it, Location headers would name no host or a guessed one.
            let hosts = head.headers["host"]
            guard hosts.count == 1, !hosts[0].trimmingCharacters(in: .whitespaces).isEmpty else {
                return (.badRequest, "An HTTP/1.1 request needs exactly one Host header, not empty; found \(hosts.count).")
            }
        }
        guard head.headers.contains(name: "transfer-encoding") || head.headers.contains(name: "content-encoding") else { return nil }
        func codings(_ name: String) -> [String] {
            head.headers[name].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        }
        if let coding = codings("transfer-encoding").first(where: { $0 != "chunked" }) {
            return (.badRequest, "Transfer-Encoding '\(coding.prefix(40))' is not supported; send the body as it is, or chunked.")
        }
        if let coding = codings("content-encoding").first(where: { $0 != "identity" }) {
            return (.unsupportedMediaType, "Content-Encoding '\(coding.prefix(40))' is not supported; send the body uncompressed.")
        }
        return nil
    }

    /// Puts an ``HTTP1ConnectionGuard`` into each connection's pipeline just above NIO's
    /// HTTP/1 codec, where Hummingbird's additional channel handlers cannot go.
    package final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        package typealias InboundIn = NIOAny
        let policy: Policy

        package init(policy: Policy) {
            self.policy = policy
        }

        package func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            // Hummingbird runs without NIO's pipelining assistance, so the request decoder is the
            // handler to sit above; with the assistance, above that handler.
            let guardHandler = HTTP1ConnectionGuard(policy: policy)
            if let pipelining = try? pipeline.handler(type: HTTPServerPipelineHandler.self) {
                try? pipeline.addHandler(guardHandler, position: .after(pipelining))
            } else if let decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self) {
                try? pipeline.addHandler(guardHandler, position: .after(decoder))
            }
        }
    }
}

extension HTTPResponseHead {
    /// A 1xx head other than 101: another head follows.
    fileprivate var isInformational: Bool { (100..<200).contains(status.code) && status.code != 101 }
}
