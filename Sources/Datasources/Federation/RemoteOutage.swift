import Foundation
import NIOHTTP1

/// When to call the other server again after a failed call (an answer 5xx, 408 or 429, or no
/// connection), and when to give up: a restart or a short outage is waited out, a long one
/// fails the request. A pure value: the datasource sleeps for the pauses it is given.
///
/// Promises: the pause grows from twice `interval` up to `longestPause`, or is what the
/// server asked for with `Retry-After` (at least `interval`, at most `longestRetryAfter`);
/// no pause is given once failures in a row, counted from the first, would last longer than
/// `tolerance`. A success (`ended()`) starts the count again.
struct RemoteOutage: Sendable, Hashable {
    /// The longest pause of the growing backoff.
    static let longestPause: Duration = .seconds(30)
    /// The longest `Retry-After` honoured as it is (a longer one is cut to this).
    static let longestRetryAfter: Duration = .seconds(60)

    /// The first pause is twice this; it doubles with each failure in a row.
    let interval: Duration
    /// How long failures in a row may last.
    let tolerance: Duration
    /// When the current run of failures began (on the datasource's clock); nil: none.
    private(set) var failingSince: Duration?
    /// How many calls failed in a row.
    private(set) var failures = 0

    init(interval: Duration, tolerance: Duration) {
        self.interval = interval
        self.tolerance = tolerance
    }

    /// The pause before the next call after one failed at `now`, or nil to give up.
    /// - Parameter retryAfter: the wait the server asked for, if it did.
    mutating func pause(afterFailureAt now: Duration, retryAfter: Duration? = nil) -> Duration? {
        let since = failingSince ?? now
        failingSince = since
        failures += 1
        let pause: Duration
        if let retryAfter {
            pause = min(max(retryAfter, interval), Self.longestRetryAfter)
        } else {
            pause = min(interval * (1 << min(failures, 10)), Self.longestPause)
        }
        guard now - since + pause < tolerance else { return nil }
        return pause
    }

    /// A call succeeded: the outage, if there was one, is over.
    mutating func ended() {
        failingSince = nil
        failures = 0
    }

    /// The wait a `Retry-After` header asks for: seconds, or an HTTP date after `now`
    /// (RFC 9110, 10.2.3); nil without one, or for a value that is neither.
    static func retryAfter(_ headers: HTTPHeaders, now: Date) -> Duration? {
        guard let value = headers.first(name: "Retry-After")?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isASCIIDigit) { return Int64(value.prefix(9)).map { .seconds($0) } }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(0, Int64(date.timeIntervalSince(now).rounded(.up))))
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
