import AsyncHTTPClient
import Foundation
import Logging
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
/// Promises: an outage of the other server (answers 5xx, 408 or 429, no connection, no
/// answer) is waited out for `outageTolerance` at every step, honouring `Retry-After`; the
/// submission carries an `Idempotency-Key` made from the local request's id, so that a
/// repeated one (after a lost answer, or by the next attempt after a crash) gets the request
/// already forwarded; the result is accepted only at the length the other server announced,
/// and a download cut short is resumed from the first missing byte; the whole is bounded by
/// `timeout`. A request given up here is revoked there.
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
    /// The options of a `type: polytope` datasource.
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
        /// How long calls to the other server may keep failing in a row (5xx, 408, 429, no
        /// connection) before the request fails: a restart or a short outage is waited out.
        package var outageTolerance: Duration = .seconds(300)

        package init(url: String, collection: String? = nil, peerName: String, secret: String) {
            self.url = url
            self.collection = collection
            self.peerName = peerName
            self.secret = secret
        }
    }

    /// The most download attempts in a row that bring no new byte before the request fails.
    static let downloadAttemptsInARow = 6
    /// The most download attempts in all (each resuming where the previous one stopped).
    static let downloadAttempts = 50
    /// The most Idempotency-Keys one request tries: a key whose request was revoked there
    /// (answered 409) gives way to the next.
    static let keyGenerations = 8
    /// The largest answer read whole (anything but the result).
    static let answerLimit = 1 << 20

    package let configuration: Configuration
    /// The process's HTTP client (redirects are not followed: a poll's 303 is the answer).
    let shared: SharedHTTPClient
    var http: HTTPClient { shared.client }
    /// The clock of pauses and of the timeout.
    let clock: WaitingClock
    /// Where causes that a message only points to are logged. Made when needed: the
    /// executable sets up logging after the configuration, and so this datasource, is loaded.
    let logger: @Sendable () -> Logger

    init(
        configuration: Configuration, http: SharedHTTPClient, clock: WaitingClock = WaitingClock(ContinuousClock()),
        logger: @escaping @Sendable () -> Logger = { Logger(label: "polytope") }
    ) {
        self.configuration = configuration
        self.shared = http
        self.clock = clock
        self.logger = logger
    }

    package func contentType(for request: DatasourceRequest) -> String { configuration.contentType }

    /// The other server answers each user as who they are (its own roles and limits).
    package var resultsServeIdenticalRequests: Bool { false }

    /// The words of this datasource's failures.
    var failures: RemoteServerFailure {
        RemoteServerFailure(
            server: configuration.url, connectTimeout: shared.configuration.connectTimeout, readTimeout: shared.configuration.readTimeout)
    }

    /// What every call made for one forwarded request shares.
    struct Forwarding: Sendable {
        let request: DatasourceRequest
        /// The other server's URL without a final `/`.
        let base: String
        let authorization: String
        /// When the datasource's timeout ends, on `clock`.
        let deadline: Duration
    }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let base = configuration.url.hasSuffix("/") ? String(configuration.url.dropLast()) : configuration.url
        let forwarding = Forwarding(
            request: request, base: base,
            authorization: PeerCredential(peer: configuration.peerName, secret: configuration.secret, user: request.user).headerValue,
            deadline: clock.now() + configuration.timeout)
        let remote = try await submit(forwarding)
        do {
            let result = try await awaitResult(remote, forwarding)
            try await download(result, forwarding, into: output)
        } catch {
            // Given up here (a failure, the timeout, or the worker's shutdown or lost lease): do
            // not leave it running there.
            var revoke = HTTPClientRequest(url: remote)
            revoke.method = .DELETE
            revoke.headers.add(name: "Authorization", value: forwarding.authorization)
            _ = try? await Task.detached { try await http.execute(revoke, timeout: .seconds(10)) }.value
            throw error
        }
    }

    // MARK: Calls

    /// An answer read whole.
    struct Answer: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
        var body: ByteBuffer

        /// The wait the other server asked for with `Retry-After`, if it did.
        var retryAfter: Duration? { RemoteOutage.retryAfter(headers, now: Date()) }
    }

    /// What came of a call.
    enum Reply<Response: Sendable>: Sendable {
        case answered(Response)
        /// No answer, or an incomplete one, for a reason that may pass (an outage, a restart).
        case lost(PolytopeError)
    }

    /// Sends `call` and reads its answer whole.
    /// - Throws: `PolytopeError` when it cannot succeed later either (logged when the message
    ///   points to the log), or the timeout passed.
    func exchange(_ call: HTTPClientRequest, _ forwarding: Forwarding, during step: RemoteServerFailure.Step) async throws -> Reply<Answer> {
        switch try await open(call, forwarding, during: step) {
        case .lost(let failure):
            return .lost(failure)
        case .answered(let response):
            do {
                return .answered(
                    Answer(status: response.status, headers: response.headers, body: try await response.body.collect(upTo: Self.answerLimit)))
            } catch {
                return .lost(try transient(error, forwarding, during: step, midAnswer: true))
            }
        }
    }

    /// Sends `call` until the other server answers other than with an outage (5xx, 408, 429)
    /// and returns that answer; no answer, or an outage's, is waited out (`waitOut`).
    func answerThroughOutages(
        _ call: HTTPClientRequest, _ outage: inout RemoteOutage, _ forwarding: Forwarding, during step: RemoteServerFailure.Step
    ) async throws -> Answer {
        while true {
            switch try await exchange(call, forwarding, during: step) {
            case .lost(let failure):
                try await waitOut(failure, &outage, retryAfter: nil, forwarding)
            case .answered(let answer) where RemoteServerFailure.isOutage(answer.status):
                let failure = failures.answer(answer.status, body: answer.body, user: forwarding.request.user, during: step)
                try await waitOut(failure, &outage, retryAfter: answer.retryAfter, forwarding)
            case .answered(let answer):
                return answer
            }
        }
    }

    /// Sends `call` and returns the answer's head (its body still to read).
    func open(_ call: HTTPClientRequest, _ forwarding: Forwarding, during step: RemoteServerFailure.Step) async throws -> Reply<HTTPClientResponse> {
        let remaining = forwarding.deadline - clock.now()
        guard remaining > .zero else { throw failures.timedOut(after: configuration.timeout) }
        do {
            return .answered(try await http.execute(call, deadline: .now() + TimeAmount(remaining)))
        } catch {
            return .lost(try transient(error, forwarding, during: step))
        }
    }

    /// The failure of a call that failed with `error`, when trying again later may succeed.
    /// - Throws: the failure to give up with (cancellation, the timeout, or a failure that
    ///   will not pass, logged when its message points to the log).
    func transient(_ error: any Error, _ forwarding: Forwarding, during step: RemoteServerFailure.Step, midAnswer: Bool = false) throws
        -> PolytopeError
    {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        if let error = error as? HTTPClientError, error == .deadlineExceeded { throw failures.timedOut(after: configuration.timeout) }
        let kind = OutboundFailure(error)
        let failure = failures.transport(kind, during: step, midAnswer: midAnswer, cause: error)
        guard kind.isTransient else {
            log(failure, forwarding)
            throw failure
        }
        return failure
    }

    /// Logs the cause of a failure whose message points to the operator's log.
    func log(_ failure: PolytopeError, _ forwarding: Forwarding) {
        guard let cause = failure.cause else { return }
        logger().warning(
            "the other Polytope server failed",
            metadata: [
                "request-id": "\(forwarding.request.id)", "user": "\(forwarding.request.user.username)",
                "collection": "\(forwarding.request.collection)", "server": "\(configuration.url)", "error": "\(cause)",
            ])
    }

    /// Waits before the next call after `failure` (see `RemoteOutage`); throws `failure` once
    /// the outage has lasted too long, or the timeout if it would pass meanwhile.
    func waitOut(_ failure: PolytopeError, _ outage: inout RemoteOutage, retryAfter: Duration?, _ forwarding: Forwarding) async throws {
        guard let pause = outage.pause(afterFailureAt: clock.now(), retryAfter: retryAfter) else { throw failure }
        guard clock.now() + pause < forwarding.deadline else { throw failures.timedOut(after: configuration.timeout, last: failure) }
        try await clock.sleep(pause)
    }

    /// Reads the options of a `type: polytope` datasource.
    static func read(_ options: ConfigReader, http: SharedHTTPClient) -> PolytopeServerDatasource? {
        let url = options.string("url") ?? ""
        let parsed = URL(string: url)
        if !(url.hasPrefix("http://") || url.hasPrefix("https://")) || parsed?.host == nil {
            options.report(
                "expected the other server's URL, such as https://polytope.example.int, found \"\(ConfigNode.maskingURLPassword(url))\"",
                key: "url")
        } else if let parsed, parsed.user != nil || parsed.password != nil || parsed.query != nil || parsed.fragment != nil {
            // A user and password would reach users' messages (this server speaks with its peer
            // credential); a query or fragment would be dropped from every call's path.
            options.report(
                "the other server's URL takes no user, password, query or fragment (this server signs in with peer-name and secret); "
                    + "found \"\(ConfigNode.maskingURLPassword(url))\"", key: "url")
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
