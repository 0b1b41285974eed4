import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PolytopeCore

/// Fetches the data of an archive request that names a `url` (one the frontend checked
/// against `server.archive-sources`) into a local file.
///
/// Redirects are not followed (one could lead to a host the operator did not allow), and the
/// data may be at most `maximumSize` bytes.
enum ArchiveSourceFetcher {
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Hands the body of `url` to `consume` chunk by chunk.
    static func fetch(_ url: String, maximumSize: Int64, _ consume: (ByteBuffer) async throws -> Void) async throws {
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(url: url), timeout: .hours(24))
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
