import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import StagingS3

/// Against a real S3-compatible store: SeaweedFS, started by `scripts/test-seaweedfs`.
@Suite("S3 staging")
struct S3StagingTests {
    func makeStaging(prefix: String = S3TestServer.freshPrefix(), secretKey: String? = nil) async throws -> S3Staging {
        let endpoint = try await S3TestServer.endpoint()
        let client = S3Client.Configuration(
            endpoint: endpoint.url, bucket: endpoint.bucket, accessKey: endpoint.accessKey, secretKey: secretKey ?? endpoint.secretKey
        )
        return try S3Staging(configuration: .init(client: client, prefix: prefix, partSize: 5 << 20), http: .shared)
    }

    @Test("conformance", arguments: StagingConformance.checks)
    func conformance(_ check: StagingConformance.Check) async throws {
        try await check.run { try await makeStaging() }
    }

    @Test("stagings with different prefixes share a bucket without seeing each other")
    func prefixes() async throws {
        let first = try await makeStaging()
        let second = try await makeStaging()
        let key = StagingKey.make(id: RequestIdentifier(), attempt: 1)
        _ = try await first.store(key: key, contentType: "text/plain") { try await $0.write(ByteBuffer(string: "first")) }
        #expect(try await first.list().map(\.key) == [key])
        #expect(try await second.list().isEmpty)
        #expect(try await second.size(of: key) == nil)
        try await second.delete(key: key)
        #expect(try await first.size(of: key) == 5)
    }

    @Test("a presigned URL serves the object with its type and file name, and only as signed")
    func presignedDownload() async throws {
        let staging = try await makeStaging()
        let key = StagingKey.make(id: RequestIdentifier(), attempt: 1)
        _ = try await staging.store(key: key, contentType: "application/octet-stream") { try await $0.write(ByteBuffer(string: "GRIB...7777")) }
        let url = staging.directDownloadURL(key: key, contentType: "application/x-grib", fileName: "result.grib")

        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        #expect(response.status == .ok)
        #expect(String(buffer: try await response.body.collect(upTo: 1 << 20)) == "GRIB...7777")
        #expect(response.headers.first(name: "content-type") == "application/x-grib")
        #expect(response.headers.first(name: "content-disposition") == "attachment; filename=\"result.grib\"")

        let tampered = url.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=3599")
        #expect(tampered != url)
        let refused = try await HTTPClient.shared.execute(HTTPClientRequest(url: tampered), timeout: .seconds(30))
        #expect(refused.status == .forbidden)
    }

    @Test("wrong credentials fail with S3's own explanation")
    func wrongCredentials() async throws {
        let staging = try await makeStaging(secretKey: "not-the-secret")
        do {
            try await staging.checkWritable()
            Issue.record("a write with a wrong secret key was accepted")
        } catch let error as S3Error {
            #expect(error.status == 403)
            #expect(error.code == "SignatureDoesNotMatch", "\(error)")
        }
    }

    @Test("an unreachable or refusing store makes writes fail as `StagingUnavailable`, small and multipart alike; reads 503")
    func unavailable() async throws {
        let wrongSecret = try await makeStaging(secretKey: "not-the-secret")
        // The server's own client, with a short connect timeout: a refused connection is
        // retried until that timeout (AsyncHTTPClient's pool backs off and tries again).
        let outbound = SharedHTTPClient(configuration: .init(connectTimeout: .seconds(1)))
        defer { withExtendedLifetime(outbound) {} }
        let closedPort = try S3Staging(
            configuration: .init(
                client: S3Client.Configuration(endpoint: "http://127.0.0.1:9", bucket: "polytope", accessKey: "a", secretKey: "b"),
                partSize: 5 << 20
            ),
            http: outbound.client
        )
        do {
            _ = try await closedPort.size(of: StagingKey.make(id: RequestIdentifier(), attempt: 1))
            Issue.record("an unreachable store answered")
        } catch let error as PolytopeError {
            #expect(error.code == .unavailable, "\(error)")
        }
        for staging in [wrongSecret, closedPort] {
            for size in [10, 11 << 20] {
                await #expect(throws: StagingUnavailable.self) {
                    _ = try await staging.store(key: StagingKey.make(id: RequestIdentifier(), attempt: 1), contentType: "x") { sink in
                        try await sink.write(ByteBuffer(repeating: 7, count: size))
                    }
                }
            }
        }
    }

    @Test("uploads a crashed worker left unfinished are aborted once old enough")
    func abandonedUploads() async throws {
        let staging = try await makeStaging()
        let key = staging.configuration.prefix + StagingKey.make(id: RequestIdentifier(), attempt: 1)
        let uploadID = try await staging.client.createMultipartUpload(key: key, contentType: "x")
        _ = try await staging.client.uploadPart(key: key, uploadID: uploadID, partNumber: 1, body: ByteBuffer(repeating: 7, count: 5 << 20))
        #expect(try await staging.client.listMultipartUploads(prefix: staging.configuration.prefix).map(\.uploadID) == [uploadID])

        #expect(try await staging.removeAbandonedWrites(startedBefore: Date().addingTimeInterval(-3600)) == 0, "a young upload stays")
        #expect(try await staging.removeAbandonedWrites(startedBefore: Date().addingTimeInterval(60)) == 1)
        #expect(try await staging.client.listMultipartUploads(prefix: staging.configuration.prefix).isEmpty)
        #expect(try await staging.list().isEmpty)
    }
}
