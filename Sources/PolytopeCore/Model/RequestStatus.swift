import Foundation

/// Where a request is in its life.
///
/// ```
/// waiting ──broker──▶ queued ──worker claims──▶ processing ──▶ processed | failed
///    ▲  │               ▲                           │
///    │  └─▶ failed      └──── lease expired / ──────┘
///    │   (broker)             handed back
/// uploading ──▶ failed (no data in time)   any status but revoked ──revoke──▶ revoked
/// (archive)
/// ```
/// `revoked` is internal: revoked requests are invisible to users (a poll answers 404) and
/// are purged as soon as nothing is running for them.
package enum RequestStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case waiting
    case uploading
    case queued
    case processing
    case processed
    case failed
    case revoked

    /// Statuses of requests that hold a place in the broker's limits.
    package static let active: [RequestStatus] = [.queued, .processing]

    /// Whether no further work will happen for the request.
    package var isFinal: Bool {
        switch self {
        case .processed, .failed, .revoked: return true
        case .waiting, .uploading, .queued, .processing: return false
        }
    }

    /// Whether the status may change to `next`. Every store enforces exactly this table: the
    /// store conformance suite drives every operation from every status and checks that the
    /// changes they make are these and no others.
    package func canChange(to next: RequestStatus) -> Bool {
        switch (self, next) {
        case (.uploading, .waiting), (.waiting, .queued), (.queued, .processing),
            (.processing, .processed), (.processing, .failed), (.processing, .queued),
            (.waiting, .failed), (.uploading, .failed):
            return true
        case (_, .revoked):
            return self != .revoked
        default:
            return false
        }
    }
}

/// The moment a request reached a status.
package struct StatusChange: Sendable, Codable, Hashable {
    package var status: RequestStatus
    package var at: Date

    package init(status: RequestStatus, at: Date) {
        self.status = status
        self.at = at
    }
}
