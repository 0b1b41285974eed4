import Foundation
import Hummingbird
import NIOCore
import PolytopeCore
import PolytopeHTTP
import ServiceLifecycle

/// `/api/v1/downloads/<id>`: serves a processed request's result from staging to its owner.
///
/// Exact `Content-Type` and `Content-Length`, never compressed, `Range` answered with 206 or
/// 416, `HEAD` supported. The URL is only usable with the owner's credentials.
struct DownloadsController {
    let requests: RequestsController
    let staging: any StagingArea
    let metrics: PolytopeMetrics

    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.get("downloads/:id", use: download)
        group.head("downloads/:id", use: download)
    }

    @Sendable func download(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let name = try context.parameters.require("id")
        let record = try await requests.ownRequest(name, of: user)
        guard record.status == .processed, let result = record.result else {
            throw PolytopeError(.notFound, "Request \(record.id) has no result to download (status: \(record.status.rawValue)).")
        }
        guard let size = try await staging.size(of: result.key) else {
            throw PolytopeError.notFound("The result of request \(record.id) is no longer available.")
        }
        var headers: HTTPFields = [
            .contentType: result.contentType,
            .acceptRanges: "bytes",
            .contentDisposition: "attachment; filename=\"\(record.id)\(Self.fileExtension(for: result.contentType))\"",
            .cacheControl: "private, no-store",
        ]
        let range: Range<Int64>
        let status: HTTPResponse.Status
        switch ByteRange(header: request.headers[.range], size: size) {
        case .whole:
            range = 0..<size
            status = .ok
        case .partial(let partial):
            range = partial
            status = .partialContent
            headers[.contentRange] = "bytes \(partial.lowerBound)-\(partial.upperBound - 1)/\(size)"
        case .unsatisfiable:
            return JSONResponse.message(
                "The requested range is outside the \(size) bytes of the result.",
                status: .rangeNotSatisfiable,
                headers: [.contentRange: "bytes */\(size)", .acceptRanges: "bytes"]
            )
        }
        headers[.contentLength] = "\(range.count)"
        if request.method == .head {
            return Response(status: status, headers: headers, body: ResponseBody())
        }
        let staging = self.staging
        let metrics = self.metrics
        let channel = context.channel
        let body = ResponseBody(contentLength: range.count) { writer in
            var sent = 0
            defer { metrics.bytesServed(sent) }
            try await staging.read(key: result.key, range: range) { chunk in
                try await writer.write(chunk)
                sent += chunk.readableBytes
            }
            if Task.isShuttingDownGracefully {
                await ChannelDrain.waitUntilFlushed(channel)
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    static func fileExtension(for contentType: String) -> String {
        switch contentType {
        case "application/x-grib": return ".grib"
        case "application/prs.coverage+json": return ".covjson"
        default: return ".bin"
        }
    }
}
