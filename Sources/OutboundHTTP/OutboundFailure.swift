import AsyncHTTPClient
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// Why an outgoing call failed before its answer was complete, in terms a message can say
/// plainly: the HTTP client's and NIO's own errors read like `connection reset (error set):
/// Connection refused (errno: 111)`, which is no message for a user.
package enum OutboundFailure: Sendable, Hashable {
    /// Nothing listens at the address: the connection was refused.
    case refused
    /// The host name has no address.
    case unknownHost
    /// No connection could be made within the connect timeout (or the host is unreachable).
    case unreachable
    /// Connected, but nothing came for the read timeout.
    case silent
    /// The connection was closed or reset before the answer was complete.
    case closed
    /// Anything else (TLS, an answer that is not HTTP, ...): to be logged, not shown.
    case other

    /// Classifies an error thrown by `HTTPClient.execute` or by reading an answer's body.
    package init(_ error: any Error) {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: self = .unreachable
            case .readTimeout: self = .silent
            case .remoteConnectionClosed, .bodyLengthMismatch, .uncleanShutdown: self = .closed
            default: self = .other
            }
        } else if let error = error as? IOError {
            self = Self(errno: error.errnoCode)
        } else if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                self = .unknownHost
            } else if let first = error.connectionErrors.lazy.compactMap({ $0.error as? IOError }).first {
                self = Self(errno: first.errnoCode)
            } else {
                self = .unreachable
            }
        } else if let error = error as? HTTPParserError, error == .invalidEOFState {
            self = .closed  // the connection ended inside a chunked or sized body
        } else if let error = error as? ChannelError, error == .eof || error == .ioOnClosedChannel || error == .outputClosed {
            self = .closed
        } else {
            self = .other
        }
    }

    private init(errno: Int32) {
        switch errno {
        case ECONNREFUSED: self = .refused
        case ECONNRESET, EPIPE, ECONNABORTED: self = .closed
        case ETIMEDOUT, EHOSTUNREACH, ENETUNREACH: self = .unreachable
        default: self = .other
        }
    }

    /// Whether calling again later may succeed (an outage or a restart, not a fault of the
    /// call itself).
    package var isTransient: Bool { self != .other }
}
