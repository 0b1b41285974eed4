import Foundation

/// The identity of a request: a UUID, written in lower case on the wire.
///
/// New ids are version 7 UUIDs (RFC 9562): the time in milliseconds, then 74 random bits.
/// They are as hard to guess as random ones for anyone without the id, and ids made one after
/// another sort in time order, so the store's index of ids grows at its end instead of at a
/// random page for every new request (which kept the latency tail of submissions growing
/// with the size of the store).
package struct RequestIdentifier: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    package let uuid: UUID

    /// A new id (version 7).
    package init() {
        self.uuid = Self.timeOrderedUUID()
    }

    package init(_ uuid: UUID) {
        self.uuid = uuid
    }

    /// A version 7 UUID for `now`.
    package static func timeOrderedUUID(now: Date = Date()) -> UUID {
        // Two draws of 64 bits: each draw is a system call, so not one per byte.
        var generator = SystemRandomNumberGenerator()
        let (high, low) = (generator.next(), generator.next())
        var bytes = (0..<16).map { index in UInt8(truncatingIfNeeded: (index < 8 ? high : low) >> (8 * (index % 8))) }
        let milliseconds = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // variant 10
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }

    /// Parses an id as it appears in a URL; nil for anything that is not a UUID.
    package init?(_ text: some StringProtocol) {
        guard text.utf8.count == 36, let uuid = UUID(uuidString: String(text)) else { return nil }
        self.uuid = uuid
    }

    package var description: String { uuid.uuidString.lowercased() }

    package static func < (lhs: RequestIdentifier, rhs: RequestIdentifier) -> Bool { lhs.description < rhs.description }

    package init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = RequestIdentifier(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a request id: \(text)"))
        }
        self = id
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
