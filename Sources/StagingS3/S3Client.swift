import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The few S3 operations staging needs, over AsyncHTTPClient with SigV4 signing.
///
/// Path-style URLs (`<endpoint>/<bucket>/<key>`), which every S3-compatible store accepts.
/// Payloads are sent as `UNSIGNED-PAYLOAD` (the request itself is signed), so large parts are
/// not hashed twice.
package struct S3Client: Sendable {
    /// Where the bucket is and how to sign for it.
    package struct Configuration: Sendable {
        /// `http(s)://host[:port]` of the S3 API.
        package var endpoint: String
        package var bucket: String
        package var region: String
        package var accessKey: String
        package var secretKey: String
        /// How long one request may take (a part upload, a whole small object).
        package var timeout: Duration

        package init(
            endpoint: String, bucket: String, region: String = "us-east-1", accessKey: String, secretKey: String, timeout: Duration = .seconds(300)
        ) {
            self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            self.bucket = bucket
            self.region = region
            self.accessKey = accessKey
            self.secretKey = secretKey
            self.timeout = timeout
        }
    }

    /// An object as listed.
    package struct Object: Sendable, Hashable {
        package var key: String
        package var size: Int64
        package var lastModified: Date
    }

    package let configuration: Configuration
    let signer: SigV4Signer
    let http: HTTPClient
    let scheme: String
    let host: String

    /// - Parameter http: the process's HTTP client (its timeouts bound every call).
    package init(configuration: Configuration, http: HTTPClient) throws {
        guard let url = URL(string: configuration.endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme), let host = url.host else {
            throw S3Error(status: 0, code: "InvalidEndpoint", message: "not an http(s) URL: \(configuration.endpoint)")
        }
        self.configuration = configuration
        self.signer = SigV4Signer(accessKey: configuration.accessKey, secretKey: configuration.secretKey, region: configuration.region)
        self.http = http
        self.scheme = scheme
        self.host = url.port.map { "\(host):\($0)" } ?? host
    }

    // MARK: Objects

    /// - Parameter timeout: the call's deadline, if shorter than the configuration's.
    package func putObject(key: String, contentType: String, body: ByteBuffer, timeout: Duration? = nil) async throws {
        _ = try await send(
            "PUT", key: key, headers: ["content-type": contentType, "content-length": "\(body.readableBytes)"], body: .bytes(body),
            timeout: timeout
        )
    }

    /// Size of the object, or nil if there is none.
    package func headObject(key: String) async throws -> Int64? {
        do {
            let response = try await send("HEAD", key: key)
            return response.headers.first(name: "content-length").flatMap { Int64($0) }
        } catch let error as S3Error where error.status == 404 {
            return nil
        }
    }

    /// Streams `range` of the object to `consume`.
    package func getObject(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        let response = try await send("GET", key: key, headers: ["range": "bytes=\(range.lowerBound)-\(range.upperBound - 1)"], collectBody: false)
        for try await chunk in response.body {
            try await consume(chunk)
        }
    }

    package func deleteObject(key: String, timeout: Duration? = nil) async throws {
        _ = try await send("DELETE", key: key, timeout: timeout)
    }

    /// Every object whose key starts with `prefix`.
    package func listObjects(prefix: String) async throws -> [Object] {
        var objects: [Object] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
            if let token { query.append(("continuation-token", token)) }
            let response = try await send("GET", key: nil, query: query)
            let xml = SimpleXML(response.text)
            for entry in xml.elements("Contents") {
                let contents = SimpleXML(entry)
                guard let key = contents.first("Key"), let size = contents.first("Size").flatMap({ Int64($0) }) else { continue }
                let modified = Self.parseDate(contents.first("LastModified"))
                objects.append(Object(key: key, size: size, lastModified: modified))
            }
            token = xml.first("IsTruncated") == "true" ? xml.first("NextContinuationToken") : nil
        } while token != nil
        return objects
    }

    // MARK: Multipart upload

    package func createMultipartUpload(key: String, contentType: String) async throws -> String {
        let response = try await send("POST", key: key, query: [("uploads", "")], headers: ["content-type": contentType])
        guard let id = SimpleXML(response.text).first("UploadId") else {
            throw S3Error(status: 200, code: "MissingUploadId", message: "no UploadId in the answer")
        }
        return id
    }

    /// Uploads one part; returns its ETag.
    package func uploadPart(key: String, uploadID: String, partNumber: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(
            "PUT", key: key, query: [("partNumber", "\(partNumber)"), ("uploadId", uploadID)],
            headers: ["content-length": "\(body.readableBytes)"], body: .bytes(body)
        )
        guard let etag = response.headers.first(name: "etag") else {
            throw S3Error(status: 200, code: "MissingETag", message: "no ETag for part \(partNumber)")
        }
        return etag
    }

    package func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) async throws {
        let body =
            "<CompleteMultipartUpload>"
            + parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(SimpleXML.escape($0.etag))</ETag></Part>" }.joined()
            + "</CompleteMultipartUpload>"
        let response = try await send(
            "POST", key: key, query: [("uploadId", uploadID)],
            headers: ["content-type": "application/xml", "content-length": "\(body.utf8.count)"], body: .bytes(ByteBuffer(string: body))
        )
        // S3 may answer 200 with an error document when the completion fails late.
        if let code = SimpleXML(response.text).first("Code") {
            throw S3Error(status: 200, code: code, message: SimpleXML(response.text).first("Message") ?? "")
        }
    }

    package func abortMultipartUpload(key: String, uploadID: String) async throws {
        _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)])
    }

    /// A multipart upload that was started and neither completed nor aborted.
    package struct Upload: Sendable, Hashable {
        package var key: String
        package var uploadID: String
        package var initiated: Date
    }

    /// Every unfinished multipart upload of a key starting with `prefix`.
    package func listMultipartUploads(prefix: String) async throws -> [Upload] {
        var uploads: [Upload] = []
        var marker: (key: String, uploadID: String)?
        repeat {
            var query = [("uploads", ""), ("prefix", prefix), ("max-uploads", "1000")]
            if let marker { query += [("key-marker", marker.key), ("upload-id-marker", marker.uploadID)] }
            let xml = SimpleXML(try await send("GET", key: nil, query: query).text)
            for entry in xml.elements("Upload") {
                let upload = SimpleXML(entry)
                guard let key = upload.first("Key"), let id = upload.first("UploadId") else { continue }
                let initiated = Self.parseDate(upload.first("Initiated"))
                uploads.append(Upload(key: key, uploadID: id, initiated: initiated))
            }
            marker = nil
            if xml.first("IsTruncated") == "true", let key = xml.first("NextKeyMarker"), let id = xml.first("NextUploadIdMarker") {
                marker = (key, id)
            }
        } while marker != nil
        return uploads
    }

    /// An S3 timestamp (`2026-11-29T13:05:09.123Z`, the fraction optional). One that cannot
    /// be read counts as now: the garbage collector must never take a fresh object as old.
    static func parseDate(_ text: String?) -> Date {
        guard let text else { return Date() }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return Date()
    }

    // MARK: URLs

    /// A URL that serves the object to whoever holds it for `expires` seconds, with the
    /// given content type and download file name.
    package func presignedGetURL(key: String, expires: Int, contentType: String?, fileName: String?, date: Date = Date()) -> String {
        var query: [(String, String)] = []
        if let contentType { query.append(("response-content-type", contentType)) }
        if let fileName { query.append(("response-content-disposition", "attachment; filename=\"\(fileName)\"")) }
        return signer.presignedURL(scheme: scheme, host: host, path: path(for: key), query: query, expires: expires, date: date)
    }

    // MARK: Requests

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: HTTPClientResponse.Body
        var text: String
    }

    private func path(for key: String?) -> String {
        key.map { "/\(configuration.bucket)/\($0)" } ?? "/\(configuration.bucket)"
    }

    private func send(
        _ method: String, key: String?, query: [(String, String)] = [], headers: [String: String] = [:],
        body: HTTPClientRequest.Body? = nil, collectBody: Bool = true, timeout: Duration? = nil
    ) async throws -> Answer {
        let path = path(for: key)
        var signing = headers.filter { $0.key != "content-length" }
        signing["host"] = host
        let signed = signer.signedHeaders(
            method: method, path: path, query: query, headers: signing, payloadHash: SigV4Signer.unsignedPayload, date: Date()
        )
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        var request = HTTPClientRequest(url: "\(scheme)://\(host)\(SigV4Signer.encodePath(path))\(queryText)")
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in headers where name != "host" { request.headers.add(name: name, value: value) }
        for (name, value) in signed { request.headers.add(name: name, value: value) }
        if let body { request.body = body }
        let deadline = min(timeout ?? configuration.timeout, configuration.timeout)
        let response = try await http.execute(
            request, timeout: .nanoseconds(deadline.components.seconds * 1_000_000_000 + deadline.components.attoseconds / 1_000_000_000))
        let status = Int(response.status.code)
        if !collectBody && (200..<300).contains(status) {
            return Answer(status: status, headers: response.headers, body: response.body, text: "")
        }
        let text = method == "HEAD" ? "" : String(buffer: try await response.body.collect(upTo: 1 << 20))
        guard (200..<300).contains(status) else {
            let xml = SimpleXML(text)
            throw S3Error(status: status, code: xml.first("Code") ?? "HTTP\(status)", message: xml.first("Message") ?? "")
        }
        return Answer(status: status, headers: response.headers, body: response.body, text: text)
    }
}

/// An S3 request failed: the HTTP status and S3's error code.
package struct S3Error: Error, CustomStringConvertible {
    package var status: Int
    package var code: String
    package var message: String

    package var description: String { "S3 \(status) \(code): \(message)" }
}
