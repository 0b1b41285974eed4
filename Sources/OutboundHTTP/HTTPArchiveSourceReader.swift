import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PolytopeCore

/// Fetches archive data by URL over the process's HTTP client. Redirects are not followed
/// (one could lead to a host the operator did not allow), at most `maximumSize` bytes are
/// accepted (a larger `Content-Length` is refused before any is read), and data shorter than
/// its `Content-Length`, or cut by a broken connection, is refused: part of the data must not
/// be archived as if it were all. Failures name the source and say what it did in plain words.
package struct HTTPArchiveSourceReader: ArchiveSourceReader {
    let http: SharedHTTPClient

    package init(http: SharedHTTPClient) {
        self.http = http
    }

    package func read(_ url: String, maximumSize: Int64, into consume: (ByteBuffer) async throws -> Void) async throws {
        let response: HTTPClientResponse
        do {
            response = try await http.client.execute(HTTPClientRequest(url: url), timeout: .hours(24))
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PolytopeError(.invalidRequest, "The archive data could not be fetched from \(url): \(Self.whatHappened(error)).", cause: error)
        }
        guard response.status == .ok else {
            throw PolytopeError.invalidRequest("The archive data could not be fetched from \(url): it answered \(response.status.code).")
        }
        let announced = response.headers.first(name: "content-length").flatMap { Int64($0) }
        let tooLarge = PolytopeError.invalidRequest(
            "The archive data at \(url) is larger than the limit of \(maximumSize) bytes (server.max-upload-size).")
        if let announced, announced > maximumSize { throw tooLarge }
        var received: Int64 = 0
        do {
            for try await chunk in response.body {
                received += Int64(chunk.readableBytes)
                guard received <= maximumSize else { throw tooLarge }
                try await consume(chunk)
            }
        } catch let error as PolytopeError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error where OutboundFailure(error) != .other {
            throw PolytopeError(
                .invalidRequest,
                "The archive data from \(url) stopped after \(received) bytes: the source \(Self.whatHappened(error)); "
                    + "nothing was archived.", cause: error)
        }
        // The client reports a body cut inside its Content-Length as a closed connection; this
        // holds if it ever hands over a short body as complete.
        if let announced, received != announced {
            throw PolytopeError.invalidRequest(
                "The archive data from \(url) ended after \(received) of its \(announced) bytes (Content-Length); nothing was archived.")
        }
    }

    /// What the source did, in words for a message.
    static func whatHappened(_ error: any Error) -> String {
        switch OutboundFailure(error) {
        case .refused: "refused the connection"
        case .unknownHost: "its host name has no address"
        case .unreachable: "could not be reached"
        case .silent: "stopped answering"
        case .closed: "closed the connection"
        case .other: "\(error)"
        }
    }
}
