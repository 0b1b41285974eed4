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
            asked = String(query)
        } else if let value = Self.preferredWait(request.headers[values: .prefer]) {
            asked = value
            preferred = true
        }
        guard let asked else { return nil }
        // Decimal seconds only (Double would also read "0x10", "1e3" or "inf").
        let digits = asked.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !asked.isEmpty, digits.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }), let value = Double(asked)
        else {
            // A preference is a hint: one the server cannot read is ignored (RFC 7240 §2).
            if preferred { return nil }
            throw PolytopeError.invalidRequest(
                "wait must be a number of seconds, such as 30 (longer waits are cut to \(Int(maximum.timeInterval)) s), found '\(asked.prefix(32))'.")
        }
        let granted = Int(min(value, maximum.timeInterval, 60).rounded(.down))
        guard granted > 0 else { return nil }
        self.seconds = granted
        self.preferred = preferred
    }
}

extension PollWait {
    /// The value of the `wait` preference among `Prefer` headers: the name in any case, blanks
    /// around `=`, the value plain or quoted (RFC 7240).
    static func preferredWait(_ headers: [String]) -> String? {
        for preference in headers.lazy.flatMap({ $0.split(whereSeparator: { $0 == "," || $0 == ";" }) }) {
            let parts = preference.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "wait" else { continue }
            var value = parts[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

extension HTTPField.Name {
    /// RFC 7240.
    static let prefer = Self("Prefer")!
    static let preferenceApplied = Self("Preference-Applied")!
}
