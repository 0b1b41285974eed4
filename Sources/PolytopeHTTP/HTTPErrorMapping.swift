import Hummingbird
import NIOCore
import NIOHTTP1
import PolytopeCore

/// The one place where errors become HTTP statuses and wire texts.
///
/// polytope-client rules followed here: error bodies are `{"message": "<text>"}` with a string;
/// bad input is always a 4xx (on 5xx the client waits 120 s and re-submits); a 401 never
/// contains the word "expired" (the client crashes on it).
package enum HTTPErrorMapping {
    static func status(for code: PolytopeError.Code) -> HTTPResponse.Status {
        switch code {
        case .invalidRequest: return .badRequest
        case .unauthenticated: return .unauthorized
        case .forbidden: return .forbidden
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .unprocessable: return .unprocessableContent
        case .tooLarge: return .contentTooLarge
        case .tooManyRequests: return .tooManyRequests
        case .timeout: return .requestTimeout
        case .unavailable: return .serviceUnavailable
        default: return .internalServerError
        }
    }

    /// Status, user-facing message and extra headers for any error.
    package static func describe(_ error: any Error) -> (HTTPResponse.Status, String, HTTPFields) {
        switch error {
        case let error as AuthenticationFailure:
            return (.unauthorized, error.message, [.wwwAuthenticate: error.challenge])
        case let error as PolytopeError:
            let status = status(for: error.code)
            if status == .internalServerError { return (status, "Internal server error.", [:]) }
            var headers: HTTPFields = [:]
            if let seconds = error.retryAfter { headers[.retryAfter] = "\(seconds)" }
            return (status, error.message, headers)
        case is NIOTooManyBytesError:
            return (.contentTooLarge, "The request body is too large.", [:])
        case let error as HTTPParserError:
            return (.badRequest, "The request is not valid HTTP/1.1 (\(error)).", [:])
        case is ChannelError, is IOError:
            // The connection failed or closed while the request was read: the client's side.
            return (.badRequest, "The connection closed before the request was complete.", [:])
        case let error as HTTPError:
            return (error.status, error.body ?? defaultMessage(for: error.status), error.headers)
        case let error as any HTTPResponseError:
            return (error.status, defaultMessage(for: error.status), [:])
        default:
            return (.internalServerError, "Internal server error.", [:])
        }
    }

    static func defaultMessage(for status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: return "Not found."
        case .methodNotAllowed: return "Method not allowed."
        case .contentTooLarge: return "The request body is too large."
        default: return status.reasonPhrase
        }
    }
}

/// A 401: what was wrong, and the `WWW-Authenticate` challenge naming the accepted schemes.
package struct AuthenticationFailure: Error {
    /// Why the credentials were refused, for the user.
    package var message: String
    /// The `WWW-Authenticate` value.
    package var challenge: String

    package init(message: String, challenge: String) {
        self.message = message
        self.challenge = challenge
    }
}
