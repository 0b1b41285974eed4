import Foundation
import NIOCore
import NIOHTTP1
import PolytopeConfig
import PolytopeCore

/// The failures of the `polytope` datasource, worded for the user who sent the request: each
/// names the other server, and gives its own message when it sent one.
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

    private var subject: String { "The Polytope server at \(server)" }

    /// A call that got no answer.
    func unreachable(_ error: any Error) -> PolytopeError {
        PolytopeError(.unavailable, "\(subject) could not be reached (\(error)); the operator's log has the details.")
    }

    /// An answer that is not what `step` needed, with the other server's own message when it
    /// gave one (Polytope answers `{"message": ...}`).
    func answer(_ status: HTTPResponseStatus, body: ByteBuffer, user: User, during step: Step) -> PolytopeError {
        let message = (try? JSONDecoder().decode([String: JSONValue].self, from: Data(body.readableBytesView)))?["message"]?.scalarText
        if status == .unauthorized || status == .forbidden {
            return PolytopeError(
                .internalError,
                "\(subject) refused this server's credentials (\(status.code)) while \(step.phrase): "
                    + "\(message ?? "no reason given"). The operators of both servers must agree on the peer name, secret and realms.")
        }
        // A failure of the other server (5xx, 408, 429) is an outage, not a fault of the request.
        let code: PolytopeError.Code = Self.isOutage(status) ? .unavailable : .invalidRequest
        return PolytopeError(code, "\(subject) answered \(status.code) while \(step.phrase): \(message ?? "no reason given")")
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
}
