import AsyncHTTPClient
import Foundation
import NIOCore
import PolytopeCore

/// Staging in an S3-compatible object store (AWS S3, SeaweedFS, MinIO, Ceph...).
///
/// A result is streamed in parts of `partSize` with a multipart upload (a result smaller
/// than one part is a single PUT), so memory stays at about one part whatever the result's
/// size; it becomes visible only when the upload completes, and a failed upload is aborted.
/// Downloads go through the frontend, or straight to the store with presigned URLs
/// (`DirectDownloadStaging`).
package struct S3Staging: StagingArea, DirectDownloadStaging {
    /// Settings of S3 staging.
    package struct Configuration: Sendable {
        package var client: S3Client.Configuration
        /// Prepended to staging keys, to share a bucket.
        package var prefix: String
        /// Size of each part of a multipart upload (S3 needs at least 5 MiB).
        package var partSize: Int
        /// How long presigned download URLs stay valid.
        package var presignedExpiry: Duration
        /// The endpoint clients reach the store at, when it differs from `client.endpoint`.
        package var publicEndpoint: String?

        package init(
            client: S3Client.Configuration, prefix: String = "", partSize: Int = 8 << 20, presignedExpiry: Duration = .seconds(3600),
            publicEndpoint: String? = nil
        ) {
            self.client = client
            self.prefix = prefix
            self.partSize = partSize
            self.presignedExpiry = presignedExpiry
            self.publicEndpoint = publicEndpoint
        }
    }

    package let configuration: Configuration
    let client: S3Client
    let presigner: S3Client

    package init(configuration: Configuration, http: HTTPClient) throws {
        self.configuration = configuration
        self.client = try S3Client(configuration: configuration.client, http: http)
        var publicClient = configuration.client
        if let endpoint = configuration.publicEndpoint { publicClient.endpoint = endpoint }
        self.presigner = try S3Client(configuration: publicClient, http: http)
    }

    private func objectKey(_ key: String) throws -> String {
        guard StagingKey.isValid(key) else { throw PolytopeError(.internalError, "invalid staging key '\(key)'") }
        return configuration.prefix + key
    }

    package func store(key: String, contentType: String, _ produce: (any ByteSink) async throws -> Void) async throws -> Int64 {
        let sink = PartSink(client: client, key: try objectKey(key), contentType: contentType, partSize: configuration.partSize)
        do {
            try await produce(sink)  // the sink's own failures are StagingUnavailable already
            return try await StagingUnavailable.mapping { try await sink.finish() }
        } catch {
            await sink.abort()
            throw error
        }
    }

    package func size(of key: String) async throws -> Int64? {
        let key = try objectKey(key)
        return try await Self.unavailableIfUnreachable { try await client.headObject(key: key) }
    }

    package func read(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        guard !range.isEmpty else { return }
        let key = try objectKey(key)
        do {
            try await Self.unavailableIfUnreachable {
                try await client.getObject(key: key, range: range) { buffer in
                    do { try await consume(buffer) } catch { throw ConsumerFailure(error: error) }
                }
            }
        } catch let failure as ConsumerFailure {
            throw failure.error
        }
    }

    /// Failures to reach the store (not S3's own answers) become "unavailable" (HTTP 503).
    static func unavailableIfUnreachable<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error where error is S3Error || error is ConsumerFailure || error is CancellationError || error is PolytopeError {
            throw error
        } catch {
            throw PolytopeError(.unavailable, "The staging store is not reachable at the moment; please retry shortly.", cause: error)
        }
    }

    package func delete(key: String) async throws {
        try await client.deleteObject(key: try objectKey(key))
    }

    package func list() async throws -> [StagedObjectInfo] {
        try await client.listObjects(prefix: configuration.prefix).compactMap { object in
            let key = String(object.key.dropFirst(configuration.prefix.count))
            guard object.key.hasPrefix(configuration.prefix), StagingKey.isValid(key) else { return nil }
            return StagedObjectInfo(key: key, size: object.size, modifiedAt: object.lastModified)
        }
    }

    /// How long each request of the probe of `checkWritable` may take: a readiness check
    /// must answer while whoever asked still waits, also when the store takes connections
    /// but does not answer (the calls' own deadline is `staging.timeout`).
    package static let probeTimeout = Duration.seconds(3)

    package func checkWritable() async throws {
        let probe = configuration.prefix + ".ready-probe-\(UUID().uuidString)"
        try await client.putObject(key: probe, contentType: "text/plain", body: ByteBuffer(string: "ok"), timeout: Self.probeTimeout)
        try await client.deleteObject(key: probe, timeout: Self.probeTimeout)
    }

    package func removeAbandonedWrites(startedBefore date: Date) async throws -> Int {
        var removed = 0
        for upload in try await client.listMultipartUploads(prefix: configuration.prefix) where upload.initiated < date {
            try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            removed += 1
        }
        return removed
    }

    package func directDownloadURL(key: String, contentType: String, fileName: String) -> String {
        let seconds = Int(configuration.presignedExpiry.components.seconds)
        return presigner.presignedGetURL(key: configuration.prefix + key, expires: seconds, contentType: contentType, fileName: fileName)
    }
}

/// Collects written bytes into parts and uploads them, starting a multipart upload only
/// once a result outgrows one part.
/// An error of a download's consumer, passed through `read` unchanged.
private struct ConsumerFailure: Error {
    let error: any Error
}

private final class PartSink: ByteSink {
    let client: S3Client
    let key: String
    let contentType: String
    let partSize: Int
    private var pending = ByteBuffer()
    private var uploadID: String?
    private var parts: [(number: Int, etag: String)] = []
    private var total: Int64 = 0

    init(client: S3Client, key: String, contentType: String, partSize: Int) {
        self.client = client
        self.key = key
        self.contentType = contentType
        self.partSize = partSize
    }

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        total += Int64(buffer.readableBytes)
        while buffer.readableBytes > 0 {
            let room = partSize - pending.readableBytes
            var slice = buffer.readSlice(length: min(room, buffer.readableBytes))!
            pending.writeBuffer(&slice)
            if pending.readableBytes == partSize { try await StagingUnavailable.mapping { try await uploadPending() } }
        }
    }

    private func uploadPending() async throws {
        if uploadID == nil { uploadID = try await client.createMultipartUpload(key: key, contentType: contentType) }
        let number = parts.count + 1
        let etag = try await client.uploadPart(key: key, uploadID: uploadID!, partNumber: number, body: pending)
        parts.append((number, etag))
        pending = ByteBuffer()
    }

    /// Makes the object visible; returns its size.
    func finish() async throws -> Int64 {
        if uploadID == nil {
            try await client.putObject(key: key, contentType: contentType, body: pending)
            return total
        }
        if pending.readableBytes > 0 { try await uploadPending() }
        try await client.completeMultipartUpload(key: key, uploadID: uploadID!, parts: parts)
        return total
    }

    func abort() async {
        guard let uploadID else { return }
        try? await client.abortMultipartUpload(key: key, uploadID: uploadID)
    }
}
