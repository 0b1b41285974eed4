import Foundation
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import PolytopeHTTP
import PolytopeTestSupport
import Testing

/// The sendfile path of downloads, on a test channel whose pipeline has NIO's HTTP/1
/// response encoder and the installer, as a real connection has (the router tests have none).
@Suite("FileRegionSender: file bytes follow their own response head")
struct FileRegionSenderTests {
    /// A channel with the sender installed next to an HTTP/1 response encoder, and a file.
    struct Fixture {
        let channel: NIOAsyncTestingChannel
        let directory: TemporaryDirectory
        let path: String

        init() async throws {
            directory = try TemporaryDirectory()
            path = directory.file("object")
            try Data("0123456789".utf8).write(to: URL(fileURLWithPath: path))
            channel = try await NIOAsyncTestingChannel { channel in
                try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                try channel.pipeline.syncOperations.addHandler(FileRegionSender.Installer())
            }
        }

        func open() throws -> NIOFileHandle { try NIOFileHandle(_deprecatedPath: path) }

        func writeResponse(marked: Bool) async throws {
            var headers: HTTPHeaders = ["content-length": "4"]
            if marked { headers.add(name: FileRegionSender.marker.rawName, value: "1") }
            try await channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
            try await channel.writeOutbound(HTTPServerResponsePart.end(nil))
        }

        /// What reached the socket: bytes as text, file regions as `<region a..<b>`.
        func written() async throws -> [String] {
            var parts: [String] = []
            while let part = try await channel.readOutbound(as: IOData.self) {
                switch part {
                case .byteBuffer(let buffer): if buffer.readableBytes > 0 { parts.append(String(buffer: buffer)) }
                case .fileRegion(let region): parts.append("<region \(region.readerIndex)..<\(region.endIndex)>")
                }
            }
            return parts
        }
    }

    @Test("the armed range follows the marked head; the marker is not sent; the file is closed once written")
    func sendsAfterMarkedHead() async throws {
        let fixture = try await Fixture()
        defer { fixture.directory.remove() }
        let file = try fixture.open()
        let sent = try #require(try await FileRegionSender.arm(file, range: 3..<7, on: fixture.channel))
        try await fixture.writeResponse(marked: true)
        let parts = try await fixture.written()
        #expect(parts.count == 2)
        #expect(parts.first?.hasPrefix("HTTP/1.1 200 OK\r\ncontent-length: 4\r\n") == true)
        #expect(parts.first?.contains(FileRegionSender.marker.rawName) == false)
        #expect(parts.last == "<region 3..<7>")
        try await sent.get()
        #expect(!file.isOpen)
    }

    @Test("a head without the marker disarms: the file is closed and never sent")
    func unmarkedHeadDisarms() async throws {
        let fixture = try await Fixture()
        defer { fixture.directory.remove() }
        let file = try fixture.open()
        let sent = try #require(try await FileRegionSender.arm(file, range: 0..<10, on: fixture.channel))
        try await fixture.writeResponse(marked: false)
        let parts = try await fixture.written()
        #expect(parts.count == 1 && parts.allSatisfy { !$0.hasPrefix("<region") })
        await #expect(throws: (any Error).self) { try await sent.get() }
        #expect(!file.isOpen)
    }

    @Test("a connection closed before the head goes out closes the armed file")
    func closedConnectionClosesFile() async throws {
        let fixture = try await Fixture()
        defer { fixture.directory.remove() }
        let file = try fixture.open()
        let sent = try #require(try await FileRegionSender.arm(file, range: 0..<10, on: fixture.channel))
        _ = try? await fixture.channel.finish()
        await #expect(throws: (any Error).self) { try await sent.get() }
        #expect(!file.isOpen)
    }

    @Test("without a sender in the pipeline (test router) arm closes the file and returns nil")
    func noSender() async throws {
        let fixture = try await Fixture()
        defer { fixture.directory.remove() }
        let file = try fixture.open()
        let sent = try await FileRegionSender.arm(file, range: 0..<10, on: NIOAsyncTestingChannel())
        #expect(sent == nil)
        #expect(!file.isOpen)
    }
}
