import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PolytopeHTTP
import Synchronization
import Testing

@Suite("Body rate meter")
struct BodyRateMeterTests {
    let start = ContinuousClock.now

    @Test("a body trickled at 1 byte every 5 s is too slow after one window")
    func trickle() {
        var meter = BodyRateMeter(minimumBytesPerSecond: 1024, window: .seconds(10))
        meter.startWaiting(at: start)
        do {
            let tooSlow = meter.received(1, at: start + .seconds(5))
            #expect(!tooSlow)
        }
        meter.startWaiting(at: start + .seconds(5))
        do {
            let tooSlow = meter.received(1, at: start + .seconds(10))
            #expect(tooSlow)
        }
    }

    @Test("a stalled body is too slow once the window passes, without any byte arriving")
    func stalled() {
        var meter = BodyRateMeter(minimumBytesPerSecond: 1, window: .seconds(10))
        meter.startWaiting(at: start)
        do {
            let tooSlow = meter.isTooSlow(at: start + .seconds(9))
            #expect(!tooSlow)
        }
        do {
            let tooSlow = meter.isTooSlow(at: start + .seconds(10))
            #expect(tooSlow)
        }
    }

    @Test("time the server did not ask for bytes does not count; a fast window starts a new one")
    func backpressureAndWindows() {
        var meter = BodyRateMeter(minimumBytesPerSecond: 100, window: .seconds(10))
        // The server waits 1 s for 2,000 bytes, then holds the body back for a minute.
        meter.startWaiting(at: start)
        do {
            let tooSlow = meter.received(2_000, at: start + .seconds(1))
            #expect(!tooSlow)
        }
        do {
            let tooSlow = meter.isTooSlow(at: start + .seconds(61))
            #expect(!tooSlow)
        }
        // Waiting resumes: 9 more seconds of waiting end the window with 2,000 >= 1,000 bytes.
        meter.startWaiting(at: start + .seconds(61))
        do {
            let tooSlow = meter.received(10, at: start + .seconds(70))
            #expect(!tooSlow)
        }
        // The next window starts empty: 10 bytes in 10 s of waiting is too slow.
        meter.startWaiting(at: start + .seconds(70))
        do {
            let tooSlow = meter.isTooSlow(at: start + .seconds(80))
            #expect(tooSlow)
        }
    }
}

@Suite("HTTP/1 connection guard")
struct HTTP1ConnectionGuardTests {
    /// A manual clock for the guard.
    final class Clock: Sendable {
        private let offset = Mutex<Duration>(.zero)
        let origin = ContinuousClock.now
        var now: ContinuousClock.Instant { origin + offset.withLock { $0 } }
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    }

    struct Fixture {
        let channel: NIOAsyncTestingChannel
        let clock = Clock()

        init(policy: HTTP1ConnectionGuard.Policy = .init(minimumBodyRate: 1024, bodyRateWindow: .seconds(10))) async throws {
            let clock = self.clock
            channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(HTTP1ConnectionGuard(policy: policy, now: { clock.now }))
            }
            try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).get()
        }

        func request(_ method: HTTPMethod = .POST, version: HTTPVersion = .http1_1, headers: HTTPHeaders = ["host": "x"]) async throws {
            try await channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: version, method: method, uri: "/x", headers: headers)))
        }

        func respond(_ status: HTTPResponseStatus = .ok) async throws {
            try await channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status)))
            try await channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }

        /// Response heads written, with their `connection` header; and the JSON message of a body.
        func written() async throws -> (heads: [(status: UInt, connection: String?)], message: String?) {
            var heads: [(UInt, String?)] = []
            var message: String?
            while let part = try await channel.readOutbound(as: HTTPServerResponsePart.self) {
                switch part {
                case .head(let head): heads.append((head.status.code, head.headers.first(name: "connection")))
                case .body(.byteBuffer(let buffer)):
                    let object = try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any]
                    message = object?["message"] as? String
                default: break
                }
            }
            return (heads, message)
        }

        var isOpen: Bool { channel.isActive }

        /// The server asks the connection for more bytes, as NIO does between reads.
        func read() async {
            channel.read()
            await channel.testingEventLoop.run()
        }
    }

    @Test("a body slower than the minimum rate gets 408 and the connection closes")
    func slowBody() async throws {
        let fixture = try await Fixture()
        try await fixture.request()
        await fixture.read()
        fixture.clock.advance(.seconds(5))
        try await fixture.channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "x")))
        await fixture.read()
        fixture.clock.advance(.seconds(6))
        await fixture.channel.testingEventLoop.advanceTime(by: .seconds(5))
        let (heads, message) = try await fixture.written()
        #expect(heads.map(\.status) == [408])
        #expect(heads.first?.connection == "close")
        #expect(message == "The request body arrived too slowly (less than 1024 bytes per second); the connection is closed.")
        #expect(!fixture.isOpen)
    }

    @Test("a response sent before the body was read closes the connection")
    func earlyResponse() async throws {
        let fixture = try await Fixture()
        try await fixture.request()
        try await fixture.channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "part of a body")))
        try await fixture.respond(.unauthorized)
        let (heads, _) = try await fixture.written()
        #expect(heads.map(\.status) == [401])
        #expect(heads.first?.connection == "close")
        #expect(!fixture.isOpen)
    }

    @Test("a whole request keeps its connection; HTTP/1.0 without keep-alive is closed after its response")
    func keepAlive() async throws {
        let whole = try await Fixture()
        try await whole.request(.GET)
        try await whole.channel.writeInbound(HTTPServerRequestPart.end(nil))
        try await whole.respond()
        #expect(try await whole.written().heads.first?.connection == nil)
        #expect(whole.isOpen)

        let old = try await Fixture()
        try await old.request(.GET, version: .http1_0)
        try await old.channel.writeInbound(HTTPServerRequestPart.end(nil))
        try await old.respond()
        #expect(try await old.written().heads.first?.connection == "close")
        #expect(!old.isOpen)

        let oldKeepAlive = try await Fixture()
        try await oldKeepAlive.request(.GET, version: .http1_0, headers: ["connection": "keep-alive"])
        try await oldKeepAlive.channel.writeInbound(HTTPServerRequestPart.end(nil))
        try await oldKeepAlive.respond()
        #expect(oldKeepAlive.isOpen)
    }

    @Test("the next request arriving before the end of a response (a file region still on its way) does not close the connection")
    func nextRequestDuringResponse() async throws {
        let fixture = try await Fixture()
        try await fixture.request(.GET)
        try await fixture.channel.writeInbound(HTTPServerRequestPart.end(nil))
        try await fixture.channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        // The client has every byte of the body and sends its next request, with a body.
        try await fixture.request(.POST)
        try await fixture.channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(fixture.isOpen, "the first response ended with its request read in full")
        try await fixture.channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "{}")))
        try await fixture.channel.writeInbound(HTTPServerRequestPart.end(nil))
        var parts: [HTTPServerRequestPart] = []
        while let part = try await fixture.channel.readInbound(as: HTTPServerRequestPart.self) { parts.append(part) }
        #expect(parts.count == 5, "both requests reach the application whole")
        try await fixture.respond(.accepted)
        let heads = try await fixture.written().heads
        #expect(heads.map(\.status) == [200, 202] && heads.allSatisfy { $0.connection == nil })
        #expect(fixture.isOpen)
    }

    @Test("Expect: 100-continue is answered when the request carries credentials")
    func expectContinue() async throws {
        let signedIn = try await Fixture()
        try await signedIn.request(headers: ["host": "x", "expect": "100-continue", "authorization": "Basic eDp5"])
        #expect(try await signedIn.written().heads.map(\.status) == [100])
        let anonymous = try await Fixture()
        try await anonymous.request(headers: ["host": "x", "expect": "100-continue"])
        #expect(try await anonymous.written().heads.isEmpty)
    }

    @Test("requests the parser cannot read get a JSON 400, oversized headers a 431 that names both limits")
    func parserErrors() async throws {
        let broken = try await Fixture()
        broken.channel.pipeline.fireErrorCaught(HTTPParserError.invalidChunkSize)
        let (heads, message) = try await broken.written()
        #expect(heads.map(\.status) == [400])
        #expect(message?.hasPrefix("The request is not valid HTTP/1.1") == true)
        #expect(!broken.isOpen)

        let large = try await Fixture(policy: .init(maximumHeaderSize: 16_384, maximumHeaderFields: 200))
        large.channel.pipeline.fireErrorCaught(HTTPParserError.headerOverflow)
        let (largeHeads, largeMessage) = try await large.written()
        #expect(largeHeads.map(\.status) == [431])
        #expect(largeMessage == "The request headers are too large: at most 16384 bytes and 200 fields are accepted.")
    }
}
