import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeConfig
import PolytopeCore

/// Federation (`type: polytope`): forwards a request to another Polytope server (its v1
/// REST API) on behalf of the user, polls it, and streams the result into our staging. The
/// other server sees the user (name, realm, roles) through a `PeerCredential` and must list
/// this server under `authentication.peers`; its failure message reaches the user.
///
/// ```yaml
/// - name: site-b
///   type: polytope
///   url: https://polytope.site-b.int
///   collection: od              # on the other server; default: this collection's name
///   peer-name: site-a           # how the other server knows this one
///   secret: ${POLYTOPE_PEER_SECRET}
/// ```
package struct PolytopeServerDatasource: Datasource {
    package struct Configuration: Sendable {
        /// The other server's base URL (`https://host:port`).
        package var url: String
        /// The collection there; nil: the same name as here.
        package var collection: String?
        package var peerName: String
        package var secret: String
        /// Time between polls of the remote request.
        package var pollInterval: Duration = .seconds(1)
        /// Longest time from forwarding to the last byte.
        package var timeout: Duration = .seconds(24 * 3600)
        package var contentType: String = "application/x-grib"

        package init(url: String, collection: String? = nil, peerName: String, secret: String) {
            self.url = url
            self.collection = collection
            self.peerName = peerName
            self.secret = secret
        }
    }

    package let configuration: Configuration
    /// The process's HTTP client (redirects are not followed: a poll's 303 is the answer).
    let shared: SharedHTTPClient
    var http: HTTPClient { shared.client }

    init(configuration: Configuration, http: SharedHTTPClient) {
        self.configuration = configuration
        self.shared = http
    }

    package func contentType(for request: DatasourceRequest) -> String { configuration.contentType }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let deadline = NIODeadline.now() + TimeAmount(configuration.timeout)
        let authorization = PeerCredential(peer: configuration.peerName, secret: configuration.secret, user: request.user).headerValue
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        let collection = configuration.collection ?? request.collection

        var submit = HTTPClientRequest(url: "\(base)/api/v1/requests/\(collection)")
        submit.method = .POST
        submit.headers.add(name: "Authorization", value: authorization)
        submit.headers.add(name: "Content-Type", value: "application/json")
        // The request as this server made it (its defaults and patches applied), not as the user
        // sent it: the operator's patches must hold on the other server too.
        submit.body = .bytes(ByteBuffer(string: JSONText.object(["verb": request.verb.rawValue, "request": try request.document.objectJSON()])))
        let submitted = try await send(submit, deadline: deadline)
        let body = try await submitted.body.collect(upTo: 1 << 20)
        guard submitted.status == .accepted, let location = submitted.headers.first(name: "Location") else {
            throw remoteFailure(status: submitted.status, body: body, during: "accepting the request")
        }
        guard let remote = Self.requestURL(location, base: base) else {
            throw remoteFailure(status: submitted.status, body: body, during: "accepting the request (a Location that is no request)")
        }

        do {
            try await fetch(remote, base: base, authorization: authorization, deadline: deadline, into: output)
        } catch {
            // Given up here (a failure, the timeout, or the worker's shutdown or lost lease): do
            // not leave it running there.
            var revoke = HTTPClientRequest(url: remote)
            revoke.method = .DELETE
            revoke.headers.add(name: "Authorization", value: authorization)
            _ = try? await Task.detached { try await http.execute(revoke, timeout: .seconds(10)) }.value
            throw error
        }
    }

    /// How long polls may keep failing in a row (5xx, 408, 429, no connection) before the
    /// request fails: a restart or a short outage of the other server is waited out.
    static let pollOutage: Duration = .seconds(300)

    /// Polls the remote request until it redirects to the data (303) or fails, then streams the data.
    private func fetch(_ remote: String, base: String, authorization: String, deadline: NIODeadline, into output: some ByteSink) async throws {
        var download: String?
        var failingSince: ContinuousClock.Instant?
        var failures = 0
        while download == nil {
            var poll = HTTPClientRequest(url: remote)
            poll.headers.add(name: "Authorization", value: authorization)
            let answer: HTTPClientResponse
            let answerBody: ByteBuffer
            do {
                answer = try await send(poll, deadline: deadline)
                answerBody = try await answer.body.collect(upTo: 1 << 20)
            } catch let error as PolytopeError where error.code == .unavailable {
                try await waitOut(error, failingSince: &failingSince, failures: &failures, deadline: deadline)
                continue
            }
            if answer.status.code >= 500 || [408, 429].contains(answer.status.code) {
                let error = remoteFailure(status: answer.status, body: answerBody, during: "processing the request")
                try await waitOut(error, failingSince: &failingSince, failures: &failures, deadline: deadline)
                continue
            }
            failingSince = nil
            failures = 0
            switch answer.status {
            case .accepted:
                guard NIODeadline.now() + TimeAmount(configuration.pollInterval) < deadline else { throw timedOut() }
                try await Task.sleep(for: configuration.pollInterval)
            case .seeOther:
                guard let target = answer.headers.first(name: "Location") else {
                    throw remoteFailure(status: answer.status, body: answerBody, during: "polling (a 303 without Location)")
                }
                download = absolute(target, base: base)
            default:
                throw remoteFailure(status: answer.status, body: answerBody, during: "processing the request")
            }
        }

        var get = HTTPClientRequest(url: download!)
        // Our credential goes only to the other server itself, never to an object store it
        // redirects to (presigned URLs carry their own signature).
        if download!.hasPrefix(base + "/") { get.headers.add(name: "Authorization", value: authorization) }
        let data = try await send(get, deadline: deadline)
        guard data.status == .ok else {
            throw remoteFailure(status: data.status, body: try await data.body.collect(upTo: 1 << 20), during: "downloading the result")
        }
        // The client's deadline covers the answer's head only: a result that drips in is cut
        // off here (within the client's 60 s limit on silence).
        for try await chunk in data.body {
            guard NIODeadline.now() < deadline else { throw timedOut() }
            try await output.write(chunk)
        }
    }

    /// Waits before the next poll after a failed one (backoff from the poll interval up to
    /// 30 s); throws `error` once polls have failed for `pollOutage`, or the timeout is near.
    private func waitOut(_ error: PolytopeError, failingSince: inout ContinuousClock.Instant?, failures: inout Int, deadline: NIODeadline)
        async throws
    {
        let since = failingSince ?? .now
        failingSince = since
        failures += 1
        let pause = min(configuration.pollInterval * (1 << min(failures, 10)), .seconds(30))
        guard ContinuousClock.now - since + pause < Self.pollOutage else { throw error }
        guard NIODeadline.now() + TimeAmount(pause) < deadline else { throw timedOut() }
        try await Task.sleep(for: pause)
    }

    private func timedOut() -> PolytopeError {
        PolytopeError(
            .timeout,
            "The Polytope server at \(configuration.url) did not deliver the result within \(HumanDuration.format(configuration.timeout)) (the datasource's timeout); given up."
        )
    }

    private func send(_ request: HTTPClientRequest, deadline: NIODeadline) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, deadline: deadline)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw PolytopeError(
                .unavailable, "The Polytope server at \(configuration.url) could not be reached (\(error)); the operator's log has the details.")
        }
    }

    /// Where the accepted request is polled (and revoked), always on the configured server:
    /// its `/api/v1/requests/<id>` under `base`, whatever host the `Location` names, so that
    /// the peer credential never goes to another host (a proxy's public name, or worse).
    static func requestURL(_ location: String, base: String) -> String? {
        let marker = "/api/v1/requests/"
        guard let found = location.range(of: marker) else { return nil }
        let id = location[found.upperBound...].prefix { $0 != "?" && $0 != "#" && $0 != "/" }
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        return base + marker + id
    }

    private func absolute(_ location: String, base: String) -> String {
        location.hasPrefix("http://") || location.hasPrefix("https://") ? location : base + (location.hasPrefix("/") ? "" : "/") + location
    }

    /// The other server's own message when it gave one (Polytope answers `{"message": ...}`).
    private func remoteFailure(status: HTTPResponseStatus, body: ByteBuffer, during step: String) -> PolytopeError {
        let message = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView)))?["message"]?.scalarText
        if status == .unauthorized || status == .forbidden {
            return PolytopeError(
                .internalError,
                "The Polytope server at \(configuration.url) refused this server's credentials (\(status.code)) while \(step): "
                    + "\(message ?? "no reason given"). The operators of both servers must agree on the peer name, secret and realms.")
        }
        // A failure of the other server (5xx, 408, 429) is an outage, not a fault of the request.
        let code: PolytopeError.Code = status.code >= 500 || [408, 429].contains(status.code) ? .unavailable : .invalidRequest
        return PolytopeError(
            code, "The Polytope server at \(configuration.url) answered \(status.code) while \(step): \(message ?? "no reason given")")
    }

    /// Reads the options of a `type: polytope` datasource.
    static func read(_ options: ConfigReader, http: SharedHTTPClient) -> PolytopeServerDatasource? {
        let url = options.string("url") ?? ""
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
            options.report("expected the other server's URL, such as https://polytope.example.int, found \"\(url)\"", key: "url")
        }
        let peerName = options.string("peer-name") ?? ""
        if !PeerCredential.isValidToken(peerName) {
            options.report("expected this server's name as the other server knows it (no spaces, ':' or ',')", key: "peer-name")
        }
        let secret = options.string("secret") ?? ""
        if !PeerCredential.isValidToken(secret) || secret.count < 16 {
            options.report("expected the shared secret: at least 16 characters, no spaces, ':' or ','", key: "secret")
        }
        var configuration = Configuration(url: url, collection: options.string("collection"), peerName: peerName, secret: secret)
        configuration.pollInterval = options.duration("poll-interval", default: configuration.pollInterval, minimum: .milliseconds(50))
        configuration.timeout = options.duration("timeout", default: configuration.timeout, minimum: .seconds(1))
        configuration.contentType = options.string("content-type", default: configuration.contentType)
        return PolytopeServerDatasource(configuration: configuration, http: http)
    }
}
