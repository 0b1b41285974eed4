import AsyncHTTPClient
import PolytopeConfig
import PolytopeCore

/// Why one attempt to read from a data portal failed, in words for the user.
enum DataPortalFailure: Sendable, Hashable {
    /// The portal answered with this status (408, 429, 5xx; 404 after part of the data came).
    case status(Int)
    /// No answer within the configured timeout.
    case timeout(Duration)
    /// The connection sent nothing for too long while the data came.
    case stalled
    /// No connection could be made.
    case unreachable
    /// The connection was closed, or the answer ended, before all the data came.
    case truncated
    /// The portal answered a range request with another range.
    case badRange
    /// The data came slower than the configured floor (bytes per second).
    case tooSlow(Int64)
    /// Anything else the HTTP client reported.
    case other

    init(_ error: any Error, timeout: Duration) {
        guard let error = error as? HTTPClientError else {
            // NIO reports refused connections and failed name lookups with its own error types.
            let type = String(describing: Swift.type(of: error))
            self = type.contains("Connect") || type.contains("Socket") || type.contains("IOError") ? .unreachable : .other
            return
        }
        switch error {
        case .deadlineExceeded: self = .timeout(timeout)
        case .readTimeout: self = .stalled
        case .connectTimeout: self = .unreachable
        case .remoteConnectionClosed, .bodyLengthMismatch: self = .truncated
        default: self = .other
        }
    }

    /// What the portal did, completing "the data portal ...".
    var phrase: String {
        switch self {
        case .status(let status): return "answered \(status)"
        case .timeout(let timeout): return "did not answer within \(HumanDuration.format(timeout))"
        case .stalled: return "stopped sending data"
        case .unreachable: return "could not be reached"
        case .truncated: return "closed the connection before all the data came"
        case .badRange: return "answered with the wrong byte range"
        case .tooSlow(let floor): return "sent data slower than \(ByteSize.describe(floor))/s"
        case .other: return "could not be read"
        }
    }

    /// The error for a request that failed every time: `the data portal answered 503 four
    /// times for http://host/path` (the URL without its query or credentials).
    static func exhausted(_ failures: [DataPortalFailure], url: String) -> PolytopeError {
        let times = Self.times(failures.count)
        let shown = URLTemplate.displayed(url)
        guard let last = failures.last else { return PolytopeError(.unavailable, "the data portal could not be read for \(shown)") }
        if failures.allSatisfy({ $0 == last }) {
            return PolytopeError(.unavailable, "the data portal \(last.phrase) \(times) for \(shown)")
        }
        return PolytopeError(.unavailable, "the data portal failed \(times) for \(shown) (last: it \(last.phrase))")
    }

    /// `once`, `twice`, `three times`, ..., `12 times`.
    static func times(_ count: Int) -> String {
        let words = [
            "no times", "once", "twice", "three times", "four times", "five times", "six times", "seven times", "eight times", "nine times",
            "ten times",
        ]
        return count < words.count ? words[count] : "\(count) times"
    }
}
