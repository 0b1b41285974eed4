import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import PolytopeTestSupport
import Synchronization

/// Another Polytope server for the federation tests, in this process on loopback: it answers
/// each request as the test's script says, in raw bytes (so that an answer can be cut short,
/// malformed or withheld), and records what came.
final class ScriptedPolytopeServer: Sendable {
    /// A request as it came.
    struct Received: Sendable {
        var method: String
        var path: String
        var headers: HTTPHeaders
        var body: String
        /// How many requests with the same method and path came before this one.
        var index: Int

        func header(_ name: String) -> String? { headers.first(name: name) }
    }

    /// How to answer one request.
    enum Answer: Sendable {
        /// A whole answer (its `Content-Length` added); the connection stays open.
        case answer(Int, headers: [(String, String)] = [], body: [UInt8] = [])
        /// These bytes as they are, then the connection is closed.
        case raw([UInt8])
        /// No answer: the connection stays open, silent, until the server closes.
        case silence

        /// A whole answer with a JSON body.
        static func json(_ status: Int, _ json: String, headers: [(String, String)] = []) -> Answer {
            .answer(status, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
        }

        /// A head with `headers`, then `body`, then the connection closed.
        static func cut(_ status: Int, headers: [(String, String)], body: [UInt8]) -> Answer {
            let head = "HTTP/1.1 \(status) Scripted\r\n" + headers.map { "\($0.0): \($0.1)\r\n" }.joined() + "\r\n"
            return .raw(Array(head.utf8) + body)
        }
    }

    /// The id of the request the scripts accept.
    static let requestID = "11111111-2222-4333-8444-555555555555"

    /// `http://127.0.0.1:<port>`.
    let url: String
    let port: Int
    private let channel: any Channel
    private let record: Record

    /// What came: requests and connections.
    private final class Record: Sendable {
        let state = Mutex<(received: [Received], connections: [any Channel])>(([], []))
    }

    /// Starts a server that answers as `script` says, on a free port, or on `port` (which a
    /// `ReservedPort` may hold).
    static func start(port: ReservedPort? = nil, _ script: @escaping @Sendable (Received) -> Answer) async throws -> ScriptedPolytopeServer {
        let record = Record()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: port == nil ? 0 : 1)
            .childChannelInitializer { channel in
                record.state.withLock { $0.connections.append(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(
                        Handler { request in
                            let received = record.state.withLock { state in
                                var received = request
                                received.index = state.received.count { $0.method == request.method && $0.path == request.path }
                                state.received.append(received)
                                return received
                            }
                            return script(received)
                        })
                }
            }
        let channel = try await bootstrap.bind(host: "127.0.0.1", port: port?.port ?? 0).get()
        return ScriptedPolytopeServer(channel: channel, record: record)
    }

    private init(channel: any Channel, record: Record) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.url = "http://127.0.0.1:\(port)"
        self.record = record
    }

    /// The requests that came, in order.
    var received: [Received] { record.state.withLock { $0.received } }

    /// The requests with `method` whose path starts with `prefix`.
    func received(_ method: String, _ prefix: String) -> [Received] {
        received.filter { $0.method == method && $0.path.hasPrefix(prefix) }
    }

    /// Stops listening and closes every connection.
    func close() async {
        try? await channel.close()
        for connection in record.state.withLock({ $0.connections }) { try? await connection.close() }
    }

    // MARK: Answers of a Polytope server

    /// 202 to a submission, with the Location of `requestID`.
    static func accepted() -> Answer {
        .json(
            202, #"{"id":"\#(requestID)","status":"queued","message":"accepted"}"#,
            headers: [("Location", "http://somewhere.invalid/api/v1/requests/\(requestID)")])
    }

    /// 303 to a poll: the result, of `length` bytes, is at `/api/v1/downloads/<id>`.
    static func finished(length: Int) -> Answer {
        .json(
            303,
            #"{"id":"\#(requestID)","location":"/api/v1/downloads/\#(requestID)","contentLength":\#(length),"contentType":"application/x-grib"}"#,
            headers: [("Location", "/api/v1/downloads/\(requestID)")])
    }

    /// `data`, or the part of it a `Range: bytes=N-` asks for (206).
    static func serve(_ data: [UInt8], to request: Received) -> Answer {
        guard let range = request.header("Range"), range.hasPrefix("bytes="), let start = Int(range.dropFirst(6).prefix { $0 != "-" }) else {
            return .answer(200, body: data)
        }
        return .answer(206, headers: [("Content-Range", "bytes \(start)-\(data.count - 1)/\(data.count)")], body: Array(data[start...]))
    }

    /// Answers submissions, polls and downloads of `data` as a Polytope server does;
    /// `download` may answer downloads otherwise.
    static func polytope(serving data: [UInt8], download: (@Sendable (Received) -> Answer?)? = nil) -> @Sendable (Received) -> Answer {
        { request in
            switch (request.method, request.path) {
            case ("POST", _): return accepted()
            case ("GET", let path) where path.hasPrefix("/api/v1/requests/"): return finished(length: data.count)
            case ("GET", _): return download?(request) ?? serve(data, to: request)
            default: return .json(200, #"{"message":"revoked"}"#)
            }
        }
    }

    /// Reads requests and writes the script's answers.
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = ByteBuffer

        private let answer: (Received) -> Answer
        private var head: HTTPRequestHead?
        private var body = ByteBuffer()

        init(answer: @escaping (Received) -> Answer) {
            self.answer = answer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body.clear()
            case .body(var part):
                body.writeBuffer(&part)
            case .end:
                guard let head else { return }
                let received = Received(
                    method: head.method.rawValue, path: head.uri, headers: head.headers, body: String(buffer: body), index: 0)
                switch answer(received) {
                case .answer(let status, let headers, let body):
                    var text = "HTTP/1.1 \(status) Scripted\r\n"
                    for (name, value) in headers { text += "\(name): \(value)\r\n" }
                    text += "Content-Length: \(body.count)\r\n\r\n"
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: Array(text.utf8) + body)), promise: nil)
                case .raw(let bytes):
                    let channel = context.channel
                    context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: bytes))).whenComplete { _ in channel.close(promise: nil) }
                case .silence:
                    break
                }
            }
        }
    }
}

/// A loopback port held so that no other server gets it, where nothing listens: a connection
/// there is refused. A `ScriptedPolytopeServer` may start on it meanwhile (both sockets allow
/// `SO_REUSEPORT`; only a listening one takes connections).
final class ReservedPort: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard descriptor >= 0, bound else {
            if descriptor >= 0 { close(descriptor) }
            throw TestFailure(description: "could not reserve a loopback port (errno \(errno))")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(descriptor) }
}
