import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PolytopeCore

/// Fetches archive data by URL over the process's HTTP client. Redirects are not followed
/// (one could lead to a host the operator did not allow), and at most `maximumSize` bytes are
/// accepted.
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
            throw PolytopeError.invalidRequest("The archive data could not be fetched from \(url): \(error).")
        }
        guard response.status == .ok else {
            throw PolytopeError.invalidRequest("The archive data could not be fetched from \(url): it answered \(response.status.code).")
        }
        var received: Int64 = 0
        for try await chunk in response.body {
            received += Int64(chunk.readableBytes)
            guard received <= maximumSize else {
                throw PolytopeError.invalidRequest(
                    "The archive data at \(url) is larger than the limit of \(maximumSize) bytes (server.max-upload-size).")
            }
            try await consume(chunk)
        }
    }
}
