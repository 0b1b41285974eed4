import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let admissionChecks: [Check] = [
        Check(description: "a submission without checks is recorded as it is") { store in
            let record = Fixtures.record(at: t0)
            try expect(try await store.record(NewSubmission(record)) == .recorded, "recorded")
            try expect(try await store.request(id: record.id) == record, "stored as submitted")
        },
        Check(description: "an admitted insert counts the user's waiting and uploading requests of the collection, all at once") { store in
            var uploading = Fixtures.record(at: t0)
            uploading.status = .uploading
            try await store.insert(uploading)
            try await store.insert(Fixtures.record(at: t0))
            try await store.insert(Fixtures.record(user: Fixtures.bob, at: t0))
            try await store.insert(Fixtures.record(collection: "other", at: t0))
            let refused = Fixtures.record(at: t0)
            try expect(try await store.record(NewSubmission(refused, admittingUpTo: 2)) == .refused, "two held already: refused")
            try expect(try await store.request(id: refused.id) == nil, "nothing stored")
            let admitted = try await withThrowingTaskGroup(of: SubmissionOutcome.self) { group in
                for index in 0..<20 {
                    // Half of them with keys of their own: a new key is admitted like any submission.
                    let key = index.isMultiple(of: 2) ? try IdempotencyKey(key: "k-admit-\(index)", digest: "d") : nil
                    group.addTask { try await store.record(NewSubmission(Fixtures.record(at: t0), idempotencyKey: key, admittingUpTo: 5)) }
                }
                return try await group.reduce(0) { $0 + ($1 == .recorded ? 1 : 0) }
            }
            try expect(admitted == 3, "20 at once with room for 3: \(admitted) admitted")
        },
    ]
}
