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

    /// `Sun, 06 Nov 1994 08:49:37 GMT` (IMF-fixdate).
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
