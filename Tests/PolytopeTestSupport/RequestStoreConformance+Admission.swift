import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let admissionChecks: [Check] = [
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
                for _ in 0..<20 { group.addTask { try await store.record(NewSubmission(Fixtures.record(at: t0), admittingUpTo: 5)) } }
                return try await group.reduce(0) { $0 + ($1 == .recorded ? 1 : 0) }
            }
            try expect(admitted == 3, "20 at once with room for 3: \(admitted) admitted")
        }
    ]
}
