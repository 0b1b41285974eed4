import Foundation
import PolytopeCore

extension WorkQueue {
    /// The request `claimNext` took, if any (for tests that need only the record).
    package func claimNextRequest(worker: String, leaseExpiry: Date, at now: Date) async throws -> RequestRecord? {
        try await claimNext(worker: worker, leaseExpiry: leaseExpiry, at: now)?.record
    }
}
