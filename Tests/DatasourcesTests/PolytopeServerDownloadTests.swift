import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

@Suite("Federation: downloading the result")
struct PolytopeServerDownloadTests {
    /// 1000 bytes that tell where each comes from (a byte in the wrong place shows).
    static let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 256) }

    /// How a download answer is cut after `bytes` of its body.
    enum Cut: String, CaseIterable, CustomTestStringConvertible {
        /// No length: the body ends when the connection closes.
        case closeDelimited
        /// A `Content-Length` the body does not reach.
        case shortOfContentLength
        /// A chunked body without its last chunk.
        case chunked

        var testDescription: String { rawValue }

        func answer(_ body: ArraySlice<UInt8>, announcing total: Int) -> ScriptedPolytopeServer.Answer {
            switch self {
            case .closeDelimited:
                return .cut(200, headers: [("Connection", "close")], body: Array(body))
            case .shortOfContentLength:
                return .cut(200, headers: [("Content-Length", "\(total)")], body: Array(body))
            case .chunked:
                return .cut(
                    200, headers: [("Transfer-Encoding", "chunked")],
                    body: Array("\(String(body.count, radix: 16))\r\n".utf8) + body + Array("\r\n".utf8))
            }
        }
    }

    @Test("a download cut short is resumed from the first missing byte", arguments: Cut.allCases)
    func resumed(cut: Cut) async throws {
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { request in
                request.index == 0 ? cut.answer(Self.data[..<500], announcing: 1000) : nil
            })
        let rig = FederationRig(url: remote.url)
        #expect(try await rig.retrieve(try FederationRig.request()) == Self.data)
        let downloads = remote.received("GET", "/api/v1/downloads/")
        #expect(downloads.map { $0.header("Range") } == [nil, "bytes=500-"])
        #expect(downloads.allSatisfy { $0.header("Authorization")?.hasPrefix("PolytopePeer site-a:") == true })
        await remote.close()
    }

    @Test("a server that ignores the range and sends the whole result again has its first bytes skipped")
    func rangeIgnored() async throws {
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { request in
                request.index == 0 ? Cut.shortOfContentLength.answer(Self.data[..<300], announcing: 1000) : .answer(200, body: Self.data)
            })
        let rig = FederationRig(url: remote.url)
        #expect(try await rig.retrieve(try FederationRig.request()) == Self.data)
        await remote.close()
    }

    @Test("a download that keeps being cut is resumed for as long as it brings bytes")
    func manyResumes() async throws {
        // Each answer brings 100 bytes from where it was asked to start, then closes.
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { request in
                let start = request.header("Range").flatMap { Int($0.dropFirst(6).dropLast()) } ?? 0
                let headers = [("Content-Range", "bytes \(start)-999/1000"), ("Content-Length", "\(1000 - start)")]
                return .cut(
                    start == 0 ? 200 : 206, headers: start == 0 ? [("Content-Length", "1000")] : headers, body: Array(Self.data[start..<start + 100]))
            })
        let rig = FederationRig(url: remote.url)
        #expect(try await rig.retrieve(try FederationRig.request()) == Self.data)
        #expect(remote.received("GET", "/api/v1/downloads/").count == 10)
        await remote.close()
    }

    @Test("a download that brings nothing new six times in a row is given up, with a message naming the other server")
    func givenUp() async throws {
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { request in
                request.index == 0
                    ? Cut.shortOfContentLength.answer(Self.data[..<500], announcing: 1000)
                    : .cut(
                        206,
                        headers: [
                            ("Content-Range", "bytes 500-999/1000"), ("Content-Length", "500"),
                        ], body: [])
            })
        let rig = FederationRig(url: remote.url)
        let (message, written) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) closed the connection before the whole result came (500 of 1000 bytes) while "
                + "downloading it. Given up after 7 attempts to download it.")
        #expect(written == 500)
        #expect(remote.received("DELETE", "/api/v1/requests/").count == 1, "the request given up here is revoked there")
        await remote.close()
    }

    @Test("a result shorter than announced, in a body without a length, is not accepted as the whole")
    func shortWithoutLength() async throws {
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { _ in Cut.closeDelimited.answer(Self.data[..<500], announcing: 1000) })
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(message.hasPrefix("The Polytope server at \(remote.url) closed the connection before the whole result came (500 of 1000 bytes)"))
        await remote.close()
    }

    @Test("a result longer than announced is refused, and no byte past the announced length is kept")
    func tooLong() async throws {
        let long = Self.data + Self.data
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { _ in Cut.closeDelimited.answer(long[...], announcing: 2000) })
        let rig = FederationRig(url: remote.url)
        let (message, written) = await rig.failure(try FederationRig.request())
        #expect(
            message == "The Polytope server at \(remote.url) sent more than the 1000 bytes it announced for the result; the result was not accepted.")
        #expect(written <= 1000)
        await remote.close()
    }

    @Test("a download whose length is not the announced one is refused before it is read")
    func lengthMismatch() async throws {
        let remote = try await ScriptedPolytopeServer.start(
            ScriptedPolytopeServer.polytope(serving: Self.data) { _ in .answer(200, body: Self.data + Self.data) })
        let rig = FederationRig(url: remote.url)
        let (message, written) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) announced a result of 1000 bytes, but its download is 2000 bytes; the result was not accepted."
        )
        #expect(written == 0)
        await remote.close()
    }
}
