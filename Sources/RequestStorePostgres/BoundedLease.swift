import PolytopeCore
import PostgresNIO
import Synchronization

extension PostgresRequestStore {
    /// Runs `body` on a pooled connection, within bounds: getting the connection may take
    /// at most `connectTimeout` (the pool would otherwise wait as long as the database is
    /// away), and `body` at most `queryTimeout` from then. Either way, and on connection
    /// failures, the caller gets "unavailable" (HTTP 503, which polytope-client retries).
    ///
    /// After a database restart, PostgresNIO can leave a query on a dead connection waiting
    /// forever, even once that connection is closed. So the caller does not wait for `body`
    /// to end: it gets its answer from whichever comes first, the body or the watchdog, and
    /// a body that never ends is left behind (its connection closed, so nothing it started
    /// can commit).
    func leased<Value: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        try await preparedOrUnavailable()
        let lease = LeaseWatch()
        let answer = FirstAnswer<Value>()
        let work = Task {
            do {
                answer.give(
                    .success(
                        try await client.withConnection { connection in
                            lease.acquired(connection)
                            return try await body(connection)
                        }
                    )
                )
            } catch {
                answer.give(.failure(error))
            }
        }
        let watchdog = Task {
            try await Task.sleep(for: configuration.connectTimeout)
            guard let (connection, acquiredAt) = lease.acquisition else {
                answer.give(.failure(Self.unreachable))
                work.cancel()
                return
            }
            // A connection that closes under a waiting query does not always fail that query.
            let deadline = acquiredAt.advanced(by: configuration.queryTimeout)
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(250))
                if connection.isClosed {
                    answer.give(.failure(Self.unreachable))
                    work.cancel()
                    return
                }
            }
            logger.warning(
                "a PostgreSQL query did not answer in time; closing its connection",
                metadata: ["query-timeout": "\(configuration.queryTimeout)"]
            )
            answer.give(.failure(PolytopeError(.unavailable, "The request store (PostgreSQL) did not answer in time; please retry shortly.")))
            work.cancel()
            try? await connection.close()
        }
        defer { watchdog.cancel() }
        do {
            return try await withTaskCancellationHandler {
                try await answer.value
            } onCancel: {
                work.cancel()
                answer.give(.failure(CancellationError()))
            }
        } catch {
            throw Self.unavailableIfDisconnected(error)
        }
    }

    static let unreachable = PolytopeError(.unavailable, "The request store (PostgreSQL) is not reachable at the moment; please retry shortly.")
}

/// The connection a store operation got from the pool, and when, once it has one.
private final class LeaseWatch: Sendable {
    private let leased = Mutex<(PostgresConnection, ContinuousClock.Instant)?>(nil)
    var acquisition: (PostgresConnection, ContinuousClock.Instant)? { leased.withLock { $0 } }
    func acquired(_ connection: PostgresConnection) { leased.withLock { $0 = (connection, .now) } }
}

/// The first of several competing outcomes; later ones are ignored.
private final class FirstAnswer<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Value, any Error>?)
        case answered(Result<Value, any Error>)
    }
    private let state = Mutex<State>(.waiting(nil))

    func give(_ outcome: Result<Value, any Error>) {
        let waiter: CheckedContinuation<Value, any Error>?? = state.withLock { state in
            guard case .waiting(let waiter) = state else { return .none }
            state = .answered(outcome)
            return .some(waiter)
        }
        if case .some(.some(let waiter)) = waiter { waiter.resume(with: outcome) }
    }

    var value: Value {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<Value, any Error>? = state.withLock { state in
                    switch state {
                    case .waiting: state = .waiting(continuation); return nil
                    case .answered(let outcome): return outcome
                    }
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
