import Foundation
import PolytopeCore

/// The validators of a staged result (RFC 9110 §8.8): a strong `ETag` (staging keys are
/// unique per attempt and results never change once staged) and `Last-Modified` (when the
/// request was processed), and the `If-Range` decision they support.
struct DownloadValidators: Equatable {
    /// `"<staging key>-<size>"`, quoted.
    let entityTag: String
    /// The HTTP-date of the moment the result was staged.
    let lastModified: String
    /// That moment, in whole seconds since 1970 (as the date says it).
    let stagedSecond: Int

    init(stagingKey: String, size: Int64, stagedAt: Date) {
        entityTag = "\"\(stagingKey)-\(size)\""
        lastModified = Self.httpDate(stagedAt)
        stagedSecond = Int(stagedAt.timeIntervalSince1970.rounded(.down))
    }

    /// Whether the preconditions a client set hold (RFC 9110 §13.1.1 and §13.1.4): `If-Match`
    /// is `*` or lists this result's entity tag; without it, the result was not modified after
    /// `If-Unmodified-Since` (a date that is not an IMF-fixdate is ignored, as the RFC asks).
    /// When they do not, the answer is 412.
    func preconditionsHold(ifMatch: String?, ifUnmodifiedSince: String?) -> Bool {
        if let ifMatch = ifMatch?.trimmingCharacters(in: .whitespaces), !ifMatch.isEmpty {
            return ifMatch == "*" || ifMatch.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == entityTag }
        }
        guard let date = ifUnmodifiedSince.flatMap(Self.seconds(ofHTTPDate:)) else { return true }
        return stagedSecond <= date
    }

    /// The seconds since 1970 of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); nil for
    /// any other text.
    static func seconds(ofHTTPDate text: String) -> Int? {
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), days.contains(String(parts[0].dropLast())), parts[5] == "GMT",
            parts[1].count == 2, let day = Int(parts[1]), let month = months.firstIndex(of: String(parts[2])), parts[3].count == 4,
            let year = Int(parts[3]), let civil = CivilDay(year: year, month: month + 1, day: day)
        else { return nil }
        let clock = parts[4].split(separator: ":")
        guard parts[4].count == 8, clock.count == 3, let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
            hour < 24, minute < 60, second < 61
        else { return nil }
        return civil.midnightSeconds + hour * 3600 + minute * 60 + second
    }

    /// Whether a `Range` may be honoured: there is no `If-Range`, or it names this result
    /// (the same strong entity tag, or exactly its `Last-Modified` date). Otherwise the
    /// whole result is sent with 200, as RFC 9110 §13.1.5 requires.
    func allowsRange(ifRange: String?) -> Bool {
        guard let condition = ifRange?.trimmingCharacters(in: .whitespaces), !condition.isEmpty else { return true }
        if condition.hasPrefix("\"") || condition.hasPrefix("W/") { return condition == entityTag }
        return condition == lastModified
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate), from the UTC calendar fields (a
    /// `DateFormatter` costs more to make than the rest of a download's answer).
    static func httpDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var fields = tm()
        gmtime_r(&seconds, &fields)
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(fields.tm_wday)]), \(twoDigits(fields.tm_mday)) \(months[Int(fields.tm_mon)]) \(fields.tm_year + 1900) "
            + "\(twoDigits(fields.tm_hour)):\(twoDigits(fields.tm_min)):\(twoDigits(fields.tm_sec)) GMT"
    }

    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
