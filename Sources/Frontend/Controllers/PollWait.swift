import Foundation
import HTTPTypes
import Hummingbird
import PolytopeCore

/// How long a poll may be held (long poll): `?wait=<seconds>` or `Prefer: wait=<seconds>`
/// (RFC 7240), capped by the server's maximum. Absent or zero: answer at once.
struct PollWait {
    /// Whole seconds granted.
    var seconds: Int
    /// Asked for with `Prefer` (answered with `Preference-Applied`).
    var preferred: Bool

    var duration: Duration { .seconds(seconds) }

    /// Nil when no wait is asked for or granted, or `Prefer` asks for one that is not a number.
    /// - Throws: 400 for a `?wait=` that is not a number of seconds.
    init?(request: Request, maximum: Duration) throws {
        var asked: String?
        var preferred = false
        if let query = request.uri.queryParameters.get("wait") {
            asked = query
        } else if let prefer = request.headers[values: .prefer].lazy.flatMap({ $0.split(whereSeparator: { $0 == "," || $0 == ";" }) })
            .first(where: { $0.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("wait=") })
        {
            asked = String(prefer.trimmingCharacters(in: .whitespaces).dropFirst(5))
            preferred = true
        }
        guard let asked else { return nil }
        guard let value = Double(asked), value.isFinite, value >= 0 else {
            // A preference is a hint: one the server cannot read is ignored (RFC 7240 §2).
            if preferred { return nil }
            throw PolytopeError.invalidRequest(
                "wait must be a number of seconds (at most \(Int(maximum.timeInterval))), found '\(asked.prefix(32))'.")
        }
        let granted = Int(min(value, maximum.timeInterval, 60).rounded(.down))
        guard granted > 0 else { return nil }
        self.seconds = granted
        self.preferred = preferred
    }
}

extension HTTPField.Name {
    /// RFC 7240.
    static let prefer = Self("Prefer")!
    static let preferenceApplied = Self("Preference-Applied")!
}
