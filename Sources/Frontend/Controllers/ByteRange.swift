import Foundation

/// A `Range: bytes=...` request header, resolved against an object's size (RFC 9110 §14).
enum ByteRange: Equatable {
    /// No usable range: serve the whole object (200). Multiple ranges are served this way too.
    case whole
    /// One satisfiable range (206).
    case partial(Range<Int64>)
    /// A well-formed range that lies outside the object (416).
    case unsatisfiable

    init(header: String?, size: Int64) {
        guard let header else {
            self = .whole
            return
        }
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else {
            self = .whole
            return
        }
        let spec = trimmed.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else {
            self = .whole
            return
        }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        switch (Int64(first), Int64(last)) {
        case (let start?, nil) where last.isEmpty && start >= 0:
            self = start < size ? .partial(start..<size) : .unsatisfiable
        case (let start?, let end?) where start >= 0 && end >= start:
            // `min` before `+ 1`: a last byte of Int64.max must not overflow.
            self = start < size ? .partial(start..<(min(end, size - 1) + 1)) : .unsatisfiable
        case (nil, let suffix?) where first.isEmpty && suffix >= 0:
            if suffix == 0 {
                self = .unsatisfiable
            } else {
                self = size == 0 ? .unsatisfiable : .partial(max(0, size - suffix)..<size)
            }
        default:
            self = .whole
        }
    }
}
