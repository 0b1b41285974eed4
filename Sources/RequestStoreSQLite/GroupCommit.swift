import GRDB
import Synchronization

/// Gathers concurrent inserts into shared transactions ("group commit").
///
/// The first caller to find no transaction in progress becomes the leader: it commits its
/// own row together with every row queued meanwhile, hands each waiting caller the outcome,
/// and repeats until the queue is empty. With `synchronous=FULL` one fsync then covers many
/// submissions, so durability does not cap throughput at the disk's fsync rate; with
/// `NORMAL` it saves the per-transaction overhead. Every caller still returns only after
/// its own row is committed.
final class GroupCommit: Sendable {
    private struct Waiter {
        var arguments: StatementArguments
        /// Resumed with `false` once the row is committed by a leader (or with its error).
        var continuation: CheckedContinuation<Bool, any Error>
    }

    private struct State {
        var committing = false
        var queue: [Waiter] = []
    }

    private let state = Mutex(State())
    private let pool: DatabasePool
    private let sql: String
    /// The most rows committed in one transaction.
    private let maximumBatch: Int

    init(pool: DatabasePool, sql: String, maximumBatch: Int = 512) {
        self.pool = pool
        self.sql = sql
        self.maximumBatch = maximumBatch
    }

    /// Inserts one row; returns once it is committed.
    func insert(_ arguments: StatementArguments) async throws {
        let mustLead = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Bool, any Error>) in
            let lead = state.withLock { state in
                if state.committing {
                    state.queue.append(Waiter(arguments: arguments, continuation: continuation))
                    return false
                }
                state.committing = true
                return true
            }
            if lead { continuation.resume(returning: true) }
        }
        if mustLead {
            // An unstructured task on purpose: the leader commits other callers' rows too, so
            // the cancellation of the leader's own task must not abort their transaction.
            try await Task { try await self.lead(with: arguments) }.value
        }
    }

    /// Commits the leader's row with the queued ones, then keeps committing batches until
    /// nobody is waiting.
    private func lead(with arguments: StatementArguments) async throws {
        var ownResult: Result<Void, any Error>?
        var batch: [Waiter] = []
        var own: StatementArguments? = arguments
        while true {
            let rows = (own.map { [$0] } ?? []) + batch.map(\.arguments)
            let outcome = await commit(rows)
            if own != nil {
                ownResult = outcome.first
                own = nil
                for (waiter, result) in zip(batch, outcome.dropFirst()) { waiter.continuation.resume(with: result.map { false }) }
            } else {
                for (waiter, result) in zip(batch, outcome) { waiter.continuation.resume(with: result.map { false }) }
            }
            batch = state.withLock { state in
                let next = Array(state.queue.prefix(maximumBatch))
                state.queue.removeFirst(next.count)
                if next.isEmpty { state.committing = false }
                return next
            }
            if batch.isEmpty { break }
        }
        try ownResult?.get()
    }

    /// Commits `rows` in one transaction; if that fails, commits them one by one so that a
    /// bad row fails alone. Returns each row's outcome.
    private func commit(_ rows: [StatementArguments]) async -> [Result<Void, any Error>] {
        do {
            try await pool.write { [sql] db in
                let statement = try db.cachedStatement(sql: sql)
                for arguments in rows { try statement.execute(arguments: arguments) }
            }
            return rows.map { _ in .success(()) }
        } catch {
            guard rows.count > 1 else { return [.failure(error)] }
            var results: [Result<Void, any Error>] = []
            for arguments in rows {
                do {
                    try await pool.write { [sql] db in try db.cachedStatement(sql: sql).execute(arguments: arguments) }
                    results.append(.success(()))
                } catch {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }
}
