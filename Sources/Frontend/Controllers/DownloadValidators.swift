import Foundation

/// The validators of a staged result (RFC 9110 §8.8): a strong `ETag` (staging keys are
/// unique per attempt and results never change once staged) and `Last-Modified` (when the
/// request was processed), and the `If-Range` decision they support.
struct DownloadValidators: Equatable {
    /// `"<staging key>-<size>"`, quoted.
    let entityTag: String
    /// The HTTP-date of the moment the result was staged.
    let lastModified: String

    init(stagingKey: String, size: Int64, stagedAt: Date) {
        entityTag = "\"\(stagingKey)-\(size)\""
        lastModified = Self.httpDate(stagedAt)
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
