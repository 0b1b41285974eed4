import GRDB
import Synchronization

/// Gathers concurrent writes of new requests into shared transactions ("group commit").
///
/// Each caller hands in its work: a function of the open transaction that makes its checks
/// and its insert. The first caller to find no transaction in progress becomes the leader: it
/// runs its own work and the work of every caller queued meanwhile, in arrival order, in one
/// transaction, hands each waiting caller its outcome, and repeats until the queue is empty.
/// Each work sees the writes of those before it in its batch, as if they had committed one
/// after another, so what a work checks (an idempotency key, an admission count) holds at its
/// insert. With `synchronous=FULL` one fsync then covers many submissions, so durability does
/// not cap throughput at the disk's fsync rate; with `NORMAL` it saves the per-transaction
/// overhead. Every caller still returns only after its own work is committed.
final class GroupCommit<Output: Sendable>: Sendable {
    /// One caller's checks and writes.
    typealias Work = @Sendable (Database) throws -> Output

    private enum Turn {
        case lead
        case done(Output)
    }

    private struct Waiter {
        var work: Work
        var continuation: CheckedContinuation<Turn, any Error>
    }

    private struct State {
        var committing = false
        var queue: [Waiter] = []
    }

    private let state = Mutex(State())
    private let pool: DatabasePool
    /// The most works committed in one transaction.
    private let maximumBatch: Int

    init(pool: DatabasePool, maximumBatch: Int = 512) {
        self.pool = pool
        self.maximumBatch = maximumBatch
    }

    /// Runs `work` in a transaction shared with concurrent callers; returns its outcome once
    /// that transaction is committed.
    func run(_ work: @escaping Work) async throws -> Output {
        let turn = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Turn, any Error>) in
            let lead = state.withLock { state in
                if state.committing {
                    state.queue.append(Waiter(work: work, continuation: continuation))
                    return false
                }
                state.committing = true
                return true
            }
            if lead { continuation.resume(returning: .lead) }
        }
        switch turn {
        case .done(let output):
            return output
        case .lead:
            // An unstructured task on purpose: the leader commits other callers' work too, so
            // the cancellation of the leader's own task must not abort their transaction.
            return try await Task { try await self.lead(with: work) }.value
        }
    }

    /// Commits the leader's work, then the work queued meanwhile, batch after batch, until
    /// nobody is waiting.
    private func lead(with work: @escaping Work) async throws -> Output {
        let own = await commitAlone(work)
        while true {
            let batch = state.withLock { state in
                let next = Array(state.queue.prefix(maximumBatch))
                state.queue.removeFirst(next.count)
                if next.isEmpty { state.committing = false }
                return next
            }
            if batch.isEmpty { break }
            let outcomes = await commit(batch.map(\.work))
            for (waiter, outcome) in zip(batch, outcomes) { waiter.continuation.resume(with: outcome.map(Turn.done)) }
        }
        return try own.get()
    }

    /// Runs `works` in one transaction; if that fails, runs each in a transaction of its own
    /// so that a failing one fails alone. Returns each one's outcome.
    private func commit(_ works: [Work]) async -> [Result<Output, any Error>] {
        if works.count > 1, let outcomes = try? await pool.write({ db in try works.map { try $0(db) } }) {
            return outcomes.map { .success($0) }
        }
        var outcomes: [Result<Output, any Error>] = []
        for work in works { outcomes.append(await commitAlone(work)) }
        return outcomes
    }

    private func commitAlone(_ work: @escaping Work) async -> Result<Output, any Error> {
        do {
            return .success(try await pool.write { db in try work(db) })
        } catch {
            return .failure(error)
        }
    }
}
