import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// `/api/v1/uploads/<id>`: the data of an archive request, as `polytope archive` sends it
/// (`POST`, raw bytes, `X-Checksum: <MD5 hex>`), and its status (`GET`).
///
/// Only the request's owner may upload, once, while the request is `uploading`. The bytes
/// are streamed to staging, under a key of their own (`StagingKey.makeUpload`), while their
/// MD5 is computed; a checksum that does not match discards them (the user may upload
/// again). Of concurrent uploads, the one whose store change (`markUploaded`) wins is kept;
/// every other removes its own object and answers 409. Then the request waits for the
/// broker like any other, and a worker archives the data.
struct UploadsController {
    let requests: RequestsController
    let store: any FrontendStore
    let staging: any StagingArea
    let dispatchNeeded: WakeSignal
    let wallClock: any WallClock
    let configuration: FrontendConfiguration

    func addRoutes(to group: RouterGroup<PolytopeRequestContext>) {
        group.post("uploads/:id", use: upload)
        group.get("uploads/:id", use: status)
    }

    @Sendable func status(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let record = try await requests.ownRequest(try context.parameters.require("id"), of: user)
        return try await requests.statusResponse(for: record, request: request)
    }

    @Sendable func upload(_ request: Request, context: PolytopeRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let record = try await requests.ownRequest(try context.parameters.require("id"), of: user)
        guard record.verb == .archive, record.status == .uploading else {
            throw PolytopeError(.conflict, "Request \(record.id) is not waiting for data (status: \(record.status.rawValue)).")
        }
        guard let expected = request.headers[HTTPField.Name("X-Checksum")!]?.lowercased(),
            expected.count == 32, expected.allSatisfy(\.isHexDigit)
        else {
            throw PolytopeError.invalidRequest("An upload needs the header X-Checksum with the MD5 of the data, in hexadecimal.")
        }
        let declared = request.headers[.contentLength].flatMap(Int64.init)
        if let declared, declared > configuration.maximumUploadSize { throw tooLarge() }
        if declared == 0 { throw emptyUpload() }
        let contentType = request.headers[.contentType] ?? "application/octet-stream"
        let key = StagingKey.makeUpload(id: record.id)
        let digest = DigestBox()
        let limit = configuration.maximumUploadSize
        let size: Int64
        do {
            size = try await staging.store(key: key, contentType: contentType) { sink in
                var received: Int64 = 0
                for try await chunk in request.body {
                    received += Int64(chunk.readableBytes)
                    guard received <= limit else { throw tooLarge() }
                    chunk.withUnsafeReadableBytes { digest.md5.update(bufferPointer: $0) }
                    try await sink.write(chunk)
                }
                // A connection that ends (or a body that stalls) before Content-Length ends the
                // body early, without an error: what arrived is not the upload.
                if let declared, received != declared {
                    throw PolytopeError.invalidRequest(
                        "The upload ended after \(received) of its \(declared) bytes (Content-Length); please upload again.")
                }
                if received == 0 { throw emptyUpload() }
            }
        } catch let error as StagingUnavailable {
            throw PolytopeError(.unavailable, "The upload could not be stored (staging is unavailable); please upload again shortly.", cause: error)
        } catch let error as StagingFull {
            var refusal = PolytopeError(.unavailable, "The upload could not be stored: \(error.userMessage) Please upload again later.", cause: error)
            refusal.retryAfter = DiskFull.retryAfterSeconds
            throw refusal
        }
        let actual = Hex.encode(digest.md5.finalize())
        guard actual == expected else {
            try? await staging.delete(key: key)
            throw PolytopeError.invalidRequest(
                "The data does not match its checksum (X-Checksum \(expected), received \(size) bytes with MD5 \(actual)); please upload again.")
        }
        let upload = StagedResult(key: key, contentType: contentType, contentLength: size)
        let accepted: Bool
        do {
            accepted = try await store.markUploaded(id: record.id, upload: upload, at: wallClock.now())
        } catch {
            // The store may have taken the upload and failed only to answer (a timeout): the
            // object goes only once the request is known not to hold it. Unknown (the store
            // away): it stays, and the garbage collector removes it if it was not taken.
            switch try? await store.request(id: record.id) {
            case let current? where current.archiveInput?.key == key:
                accepted = true
            case .some:
                try? await staging.delete(key: key)
                throw error
            case nil:
                throw error
            }
        }
        guard accepted else {
            // Another upload won (or the request was revoked): only this upload's own object goes.
            try? await staging.delete(key: key)
            throw PolytopeError(.conflict, "Request \(record.id) is no longer waiting for data (revoked, given up, or uploaded meanwhile).")
        }
        dispatchNeeded.signal()
        context.logger.info("archive data received", metadata: ["request-id": "\(record.id)", "bytes": "\(size)"])
        let location = requests.urls.upload(record.id, for: request)
        return JSONResponse.encode(
            ["status": RequestStatus.waiting.rawValue, "message": "Received \(size) bytes for request \(record.id); they will be archived."],
            status: .accepted,
            headers: [.location: location, .retryAfter: "\(configuration.retryAfterSeconds)"]
        )
    }

    private func emptyUpload() -> PolytopeError {
        PolytopeError.invalidRequest("The upload is empty; send the data to archive (the request still waits for it).")
    }

    private func tooLarge() -> PolytopeError {
        PolytopeError(.tooLarge, "The upload is larger than the limit of \(configuration.maximumUploadSize) bytes.")
    }
}

/// The running MD5 of an upload (the staging closure is not `Sendable`-checked, but runs once).
private final class DigestBox: @unchecked Sendable {
    var md5 = Insecure.MD5()
}
