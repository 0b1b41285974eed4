import Foundation
import PolytopeCore

extension RequestStoreConformance {
    /// One way the store's API changes a request's status.
    struct StatusAttempt: Sendable {
        var name: String
        var target: RequestStatus
        /// The statuses it changes (its precondition); from any other, it must change nothing.
        var acts: Set<RequestStatus>
        /// Attempts the change on `record`; returns whether the store reported a change, for
        /// operations that can delete the request (nil: read the status instead).
        var attempt: @Sendable (any Store, RequestRecord) async throws -> Bool?
    }

    static let later = t0 + 1000

    /// Every operation of the store API that changes a status.
    static let statusAttempts: [StatusAttempt] = [
        StatusAttempt(name: "markUploaded", target: .waiting, acts: [.uploading]) { store, record in
            _ = try await store.markUploaded(id: record.id, upload: upload(of: record), at: later)
            return nil
        },
        StatusAttempt(name: "markQueued", target: .queued, acts: [.waiting]) { store, record in
            _ = try await store.markQueued([record.id], at: later)
            return nil
        },
        StatusAttempt(name: "claimNextRequest", target: .processing, acts: [.queued]) { store, _ in
            _ = try await store.claimNextRequest(worker: "w2", leaseExpiry: later + 30, at: later)
            return nil
        },
        StatusAttempt(name: "finish(processed)", target: .processed, acts: [.processing]) { store, record in
            let result = StagedResult(key: StagingKey.make(id: record.id, attempt: 1), contentType: "x", contentLength: 1)
            _ = try await store.finish(id: record.id, worker: "w", outcome: .processed(result, message: "ok"), at: later)
            return nil
        },
        StatusAttempt(name: "finish(archived)", target: .processed, acts: [.processing]) { store, record in
            _ = try await store.finish(id: record.id, worker: "w", outcome: .archived(message: "ok"), at: later)
            return nil
        },
        StatusAttempt(name: "finish(failed)", target: .failed, acts: [.processing]) { store, record in
            _ = try await store.finish(id: record.id, worker: "w", outcome: .failed(message: "no"), at: later)
            return nil
        },
        StatusAttempt(name: "release", target: .queued, acts: [.processing]) { store, record in
            _ = try await store.release(id: record.id, worker: "w", message: "bye", at: later)
            return nil
        },
        StatusAttempt(name: "failWaiting", target: .failed, acts: [.waiting]) { store, record in
            try await store.failWaiting(record.id, message: "gone", at: later)
            return nil
        },
        StatusAttempt(name: "failAbandonedUploads", target: .failed, acts: [.uploading]) { store, _ in
            _ = try await store.failAbandonedUploads(createdBefore: later, message: "no data", at: later)
            return nil
        },
        StatusAttempt(name: "recoverExpiredLeases(last attempt)", target: .failed, acts: [.processing]) { store, _ in
            _ = try await store.recoverExpiredLeases(at: later, maximumAttempts: 1)
            return nil
        },
        StatusAttempt(name: "recoverExpiredLeases", target: .queued, acts: [.processing]) { store, _ in
            _ = try await store.recoverExpiredLeases(at: later, maximumAttempts: 5)
            return nil
        },
        StatusAttempt(name: "revoke", target: .revoked, acts: Set(RequestStatus.allCases).subtracting([.revoked])) { store, record in
            try await store.revoke(id: record.id, ofUser: record.user.username, at: later) != nil
        },
    ]

    /// A request in `status`, reached through the store's API (worker `w` holds it while processing).
    static func request(in status: RequestStatus, store: any Store) async throws -> RequestRecord {
        let record = status == .uploading ? uploadingArchiveRequest() : Fixtures.record()
        try await store.insert(record)
        if [.waiting, .uploading].contains(status) { return record }
        _ = try await store.markQueued([record.id], at: t0)
        if status == .queued { return record }
        _ = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
        switch status {
        case .processed:
            let result = StagedResult(key: StagingKey.make(id: record.id, attempt: 1), contentType: "x", contentLength: 1)
            _ = try await store.finish(id: record.id, worker: "w", outcome: .processed(result, message: "ok"), at: t0)
        case .failed:
            _ = try await store.finish(id: record.id, worker: "w", outcome: .failed(message: "no"), at: t0)
        case .revoked:
            _ = try await store.revoke(id: record.id, ofUser: record.user.username, at: t0)
        default:
            break
        }
        try expect(try await store.request(id: record.id)?.status == status, "could not bring a request to \(status)")
        return record
    }

    /// For every status and every operation: the operation changes the status exactly when
    /// it is meant to, and never in a way `RequestStatus.canChange(to:)` forbids.
    static let transitionChecks: [Check] =
        [
            Check(description: "the store's operations together make exactly the changes of the transition table") { _ in
                var made = Set<[RequestStatus]>()
                for attempt in statusAttempts {
                    for from in attempt.acts { made.insert([from, attempt.target]) }
                }
                var allowed = Set<[RequestStatus]>()
                for from in RequestStatus.allCases {
                    for to in RequestStatus.allCases where from.canChange(to: to) { allowed.insert([from, to]) }
                }
                try expect(made.subtracting(allowed).isEmpty, "made but not allowed: \(made.subtracting(allowed))")
                try expect(allowed.subtracting(made).isEmpty, "allowed but made by no operation: \(allowed.subtracting(made))")
            }
        ]
        + RequestStatus.allCases.flatMap { from in
            statusAttempts.map { attempt in
                Check(description: "status change \(from.rawValue) → \(attempt.target.rawValue) by \(attempt.name)") { store in
                    let record = try await request(in: from, store: store)
                    let before = try await store.request(id: record.id)
                    let reported = try await attempt.attempt(store, record)
                    let after = try await store.request(id: record.id)
                    let changed =
                        reported
                        ?? (after?.status == attempt.target && (after?.statusHistory.count ?? 0) > (before?.statusHistory.count ?? 0))
                    let expected = attempt.acts.contains(from)
                    try expect(
                        changed == expected,
                        "\(attempt.name) on a \(from.rawValue) request: expected \(expected ? "a change" : "no change") to \(attempt.target.rawValue), "
                            + "found \(after.map { $0.status.rawValue } ?? "no request")")
                    try expect(!changed || from.canChange(to: attempt.target), "\(from.rawValue) → \(attempt.target.rawValue) is not allowed")
                }
            }
        }
}
