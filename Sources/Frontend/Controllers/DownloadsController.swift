import Foundation
import Hummingbird
import NIOCore
import PolytopeCore
import PolytopeHTTP
import ServiceLifecycle

/// `/api/v1/downloads/<id>`: serves a processed request's result from staging to its owner.
///
/// Exact `Content-Type` and `Content-Length`, never compressed, `Range` answered with 206 or
/// 416 (and `If-Range` honoured with `ETag` and `Last-Modified`), `HEAD` supported. The URL
/// needs the owner's credentials, or a signed link's query (`DownloadAccessMiddleware`). Results in
/// local staging go out with `sendfile(2)` (``FileRegionSender``), others in chunks.
struct DownloadsController {
    let requests: RequestsController
    let staging: any StagingArea
    let metrics: PolytopeMetrics

    /// - Parameter group: a group guarded by `DownloadAccessMiddleware`.
    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.get("downloads/:id", use: download)
        group.head("downloads/:id", use: download)
    }

    @Sendable func download(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let name = try context.parameters.require("id")
        let record: RequestRecord
        if let granted = context.grantedDownload, granted == name {
            guard let id = RequestIdentifier(name), let found = try await requests.store.request(id: id), found.status != .revoked else {
                throw PolytopeError.notFound("Request \(name) not found; it may have been revoked or removed.")
            }
            record = found
        } else {
            record = try await requests.ownRequest(name, of: try context.requireUser())
        }
        return try await serve(record, request: request, context: context)
    }

    /// The result of `record` (the caller may read it), whole or the `Range` asked for.
    func serve(_ record: RequestRecord, request: Request, context: PolytopeRequestContext) async throws -> Response {
        guard record.status == .processed, let result = record.result else {
            throw PolytopeError(.notFound, "Request \(record.id) has no result to download (status: \(record.status.rawValue)).")
        }
        let gone = PolytopeError.notFound("The result of request \(record.id) is no longer available.")
        // Local files are opened first and sized from the open file: if the garbage collector
        // deletes the object meanwhile, what started is still sent whole.
        let file: NIOFileHandle?
        let size: Int64
        if let localStaging = staging as? any LocalFileStaging {
            guard let opened = try localStaging.openFile(key: result.key) else { throw gone }
            file = opened
            size = try opened.withUnsafeFileDescriptor { Int64(lseek($0, 0, SEEK_END)) }
        } else {
            guard let stagedSize = try await staging.size(of: result.key) else { throw gone }
            file = nil
            size = stagedSize
        }
        let head = Self.head(for: request, record: record, contentType: result.contentType, size: size)
        guard case .body(let status, var headers, let range) = head, request.method != .head else {
            try? file?.close()
            return head.response
        }
        if let file, let sent = try await FileRegionSender.arm(file, range: range, on: context.channel) {
            headers[FileRegionSender.marker] = "1"
            let metrics = self.metrics
            return Response(
                status: status, headers: headers,
                body: ResponseBody(contentLength: range.count) { writer in
                    try await sent.get()
                    metrics.bytesServed(range.count)
                    try await writer.finish(nil)
                }
            )
        }
        return Response(status: status, headers: headers, body: bufferedBody(key: result.key, range: range, channel: context.channel))
    }

    /// The result's bytes read from staging in chunks and written through Hummingbird (S3
    /// staging proxied by the frontend, or a test router without a real connection).
    private func bufferedBody(key: String, range: Range<Int64>, channel: any Channel) -> ResponseBody {
        let staging = self.staging
        let metrics = self.metrics
        return ResponseBody(contentLength: range.count) { writer in
            var sent = 0
            defer { metrics.bytesServed(sent) }
            try await staging.read(key: key, range: range) { chunk in
                try await writer.write(chunk)
                sent += chunk.readableBytes
            }
            if Task.isShuttingDownGracefully {
                await ChannelDrain.waitUntilFlushed(channel)
            }
            try await writer.finish(nil)
        }
    }

    /// What a download of `size` bytes answers: a body (whole or the `Range` asked for) or
    /// 416 for a range outside the result.
    enum Head {
        case body(HTTPResponse.Status, HTTPFields, Range<Int64>)
        /// An answer without the result: 416 for a range outside it, 412 for a precondition
        /// it does not meet.
        case unsatisfiable(Response)

        /// The response without a body (`HEAD`, or 416 or 412).
        var response: Response {
            switch self {
            case .body(let status, let headers, _): Response(status: status, headers: headers, body: ResponseBody())
            case .unsatisfiable(let response): response
            }
        }
    }

    static func head(for request: Request, record: RequestRecord, contentType: String, size: Int64) -> Head {
        let stagedAt = record.statusHistory.last { $0.status == .processed }?.at ?? record.updatedAt
        let validators = DownloadValidators(stagingKey: record.result?.key ?? "\(record.id)", size: size, stagedAt: stagedAt)
        var headers: HTTPFields = [
            .contentType: contentType,
            .acceptRanges: "bytes",
            .contentDisposition: "attachment; filename=\"\(record.id)\(fileExtension(for: contentType))\"",
            .cacheControl: "private, no-store",
            .eTag: validators.entityTag,
            .lastModified: validators.lastModified,
        ]
        guard validators.preconditionsHold(ifMatch: request.headers[.ifMatch], ifUnmodifiedSince: request.headers[.ifUnmodifiedSince]) else {
            return .unsatisfiable(
                JSONResponse.message(
                    "The result does not meet the request's If-Match or If-Unmodified-Since (it is \(validators.entityTag), "
                        + "staged \(validators.lastModified)).",
                    status: .preconditionFailed, headers: [.eTag: validators.entityTag, .lastModified: validators.lastModified]))
        }
        let rangeHeader = validators.allowsRange(ifRange: request.headers[.ifRange]) ? request.headers[.range] : nil
        switch ByteRange(header: rangeHeader, size: size) {
        case .whole:
            headers[.contentLength] = "\(size)"
            return .body(.ok, headers, 0..<size)
        case .partial(let range):
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
            headers[.contentLength] = "\(range.count)"
            return .body(.partialContent, headers, range)
        case .unsatisfiable:
            return .unsatisfiable(
                JSONResponse.message(
                    "The requested range is outside the \(size) bytes of the result.",
                    status: .rangeNotSatisfiable,
                    headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"]
                )
            )
        }
    }

    static func fileExtension(for contentType: String) -> String {
        switch contentType {
        case "application/x-grib": return ".grib"
        case "application/prs.coverage+json": return ".covjson"
        default: return ".bin"
        }
    }
}
