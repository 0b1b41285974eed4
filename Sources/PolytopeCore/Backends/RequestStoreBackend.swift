/// Everything a request store backend provides: each role's slice of the store
/// (`FrontendStore`, `DispatchStore`, `WorkQueue`, `RetentionStore`, `TelemetryStore`,
/// `WorkerRegistry`, `APIKeyStore`), implemented by `SQLiteRequestStore` and
/// `PostgresRequestStore` and checked by one conformance suite.
package typealias RequestStoreBackend = FrontendStore & DispatchStore & WorkQueue & RetentionStore & TelemetryStore & WorkerRegistry
    & APIKeyStore
