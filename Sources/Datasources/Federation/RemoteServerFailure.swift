import Foundation
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeConfig
import PolytopeCore

/// The failures of the `polytope` datasource, worded for the user who sent the request: each
/// names the other server and says in plain words what it did (refused the connection, did
/// not answer within 60 s, answered 503: <its reason>), never the HTTP client's own error text.
/// A message that points to the operator's log is only given with a `cause`, which the
/// datasource logs.
struct RemoteServerFailure: Sendable {
    /// What the datasource was doing when the call failed.
    enum Step: Sendable {
        case submission
        case processing
        case download

        var phrase: String {
            switch self {
            case .submission: "accepting the request"
            case .processing: "processing the request"
            case .download: "downloading the result"
            }
        }
    }

    /// The other server as messages name it (its configured URL).
    let server: String
    /// The HTTP client's limit on opening a connection.
    let connectTimeout: Duration
    /// The HTTP client's limit on silence while an answer is awaited or read.
    let readTimeout: Duration

    /// The prefix a Polytope server puts before a failed request's message on a poll.
    static let failurePrefix = "Request failed with error:"

    private var subject: String { "The Polytope server at \(server)" }

    /// A call that got no answer, or an incomplete one (`midAnswer`: after its head came).
    func transport(_ failure: OutboundFailure, during step: Step, midAnswer: Bool = false, cause: any Error) -> PolytopeError {
        let what: String
        switch failure {
        case .refused: what = "refused the connection"
        case .unknownHost: what = "could not be found (its host name has no address)"
        case .unreachable: what = "could not be reached within \(HumanDuration.format(connectTimeout))"
        case .silent where midAnswer: what = "stopped sending for \(HumanDuration.format(readTimeout))"
        case .silent: what = "did not answer within \(HumanDuration.format(readTimeout))"
        case .closed where midAnswer: what = "closed the connection before its answer was complete"
        case .closed: what = "closed the connection without answering"
        case .other:
            return PolytopeError(
                .unavailable, "The call to the Polytope server at \(server) failed while \(step.phrase); the operator's log has the details.",
                cause: cause)
        }
        return PolytopeError(.unavailable, "\(subject) \(what) while \(step.phrase).")
    }

    /// An answer that is not what `step` needed, with the other server's own message when it
    /// gave one (Polytope answers `{"message": ...}`).
    func answer(_ status: HTTPResponseStatus, body: ByteBuffer, user: User, during step: Step) -> PolytopeError {
        let reason = Self.remoteMessage(in: body).map { ": \($0)" } ?? " (no reason given)"
        if status == .unauthorized {
            let said = reason.hasSuffix(".") ? String(reason.dropLast()) : reason
            // A wrong peer name or secret, and a user that server does not accept, both end here.
            return PolytopeError(
                .forbidden,
                "\(subject) refused the credentials this server sent for user '\(user.username)' of realm '\(user.realm)' (401) while "
                    + "\(step.phrase)\(said). Either that server does not accept this user (unknown there, or of a realm this server "
                    + "may not forward), or the operators of the two servers have configured different peer names or secrets.")
        }
        // A failure of the other server (5xx, 408, 429) is an outage, not a fault of the request.
        let code: PolytopeError.Code = Self.isOutage(status) ? .unavailable : .invalidRequest
        return PolytopeError(code, "\(subject) answered \(status.code) while \(step.phrase)\(reason)")
    }

    /// An answer with the right status that cannot be used: `missing` says what it lacks.
    func unreadable(_ status: HTTPResponseStatus, during step: Step, missing: String) -> PolytopeError {
        PolytopeError(.unavailable, "\(subject) answered \(status.code) while \(step.phrase), but its answer could not be read (\(missing)).")
    }

    /// The datasource's timeout passed; `last` is the failure being waited out then, if any.
    func timedOut(after timeout: Duration, last: PolytopeError? = nil) -> PolytopeError {
        var message = "\(subject) did not deliver the result within \(HumanDuration.format(timeout)) (the datasource's timeout); given up."
        if let last { message += " Last failure: \(last.message)" }
        return PolytopeError(.timeout, message)
    }

    /// The download's own length differs from the length the finished request announced.
    func lengthMismatch(announced: Int64, download: Int64) -> PolytopeError {
        PolytopeError(
            .unavailable,
            "\(subject) announced a result of \(announced) bytes, but its download is \(download) bytes; the result was not accepted.")
    }

    /// The download sent more than the finished request announced.
    func tooLong(announced: Int64) -> PolytopeError {
        PolytopeError(
            .unavailable, "\(subject) sent more than the \(announced) bytes it announced for the result; the result was not accepted.")
    }

    /// The download ended (the connection closed) before `expected` bytes came.
    func cut(received: Int64, expected: Int64) -> PolytopeError {
        PolytopeError(
            .unavailable, "\(subject) closed the connection before the whole result came (\(received) of \(expected) bytes) while downloading it.")
    }

    /// A download given up after `attempts` attempts (each resuming where the previous one
    /// stopped), `last` how the last one ended.
    func downloadGivenUp(_ last: PolytopeError, attempts: Int) -> PolytopeError {
        var error = last
        error.message += " Given up after \(attempts) attempts to download it."
        return error
    }

    /// A resumed download that answered with another range than the one asked for.
    func wrongRange(_ status: HTTPResponseStatus) -> PolytopeError {
        PolytopeError(.unavailable, "\(subject) answered \(status.code) with another byte range than the one asked for while downloading the result.")
    }

    /// Whether an answer with `status` is an outage of the other server (tried again later).
    static func isOutage(_ status: HTTPResponseStatus) -> Bool {
        status.code >= 500 || status == .requestTimeout || status == .tooManyRequests
    }

    /// The `message` of a Polytope answer, without the prefix a failed request's poll puts
    /// before it (our own message says what failed); nil when the body has none.
    static func remoteMessage(in body: ByteBuffer) -> String? {
        guard let fields = try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView)),
            var message = fields["message"]?.scalarText
        else { return nil }
        if message.hasPrefix(failurePrefix) {
            message = String(message.dropFirst(failurePrefix.count).drop { $0.isWhitespace })
        }
        message = message.trimmingCharacters(in: .whitespacesAndNewlines)
        return message.isEmpty ? nil : message
    }
}
