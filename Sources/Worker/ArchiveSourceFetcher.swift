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
    static let maximumSize: Int64 = 100 << 30

    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Writes the body of `url` to `handle`, calling `progress` with each chunk's size.
    static func fetch(_ url: String, into handle: FileHandle, progress: (Int) -> Void) async throws {
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
                throw PolytopeError.invalidRequest("The archive data at \(url) is larger than \(maximumSize) bytes.")
            }
            try handle.write(contentsOf: Data(chunk.readableBytesView))
            progress(chunk.readableBytes)
        }
    }
}
