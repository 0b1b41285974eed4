import CoreMetrics

/// The metrics every role reports, by name, in one place.
///
/// Each role gets one of these with the process's metrics factory (Prometheus in the
/// server, a no-op or per-test registry in tests); nothing uses the global metrics system.
/// Names follow Prometheus conventions: `_total` for counters, `_seconds` and `_bytes` units.
package struct PolytopeMetrics: Sendable {
    package let factory: any MetricsFactory

    package init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
    }

    /// A request was accepted (frontend).
    package func requestSubmitted(collection: String, datasource: String) {
        counter("polytope_requests_submitted_total", ["collection": collection, "datasource": datasource]).increment()
    }

    /// A retrieval was answered from the staged result of an identical earlier one (`reuse-results`).
    package func resultReused(collection: String, datasource: String) {
        counter("polytope_results_reused_total", ["collection": collection, "datasource": datasource]).increment()
    }

    /// A submission repeated with its Idempotency-Key was answered with the first request.
    package func idempotentReplay(collection: String) {
        counter("polytope_idempotent_replays_total", ["collection": collection]).increment()
    }

    /// A request reached a final status (`processed` or `failed`) in a worker, or failed at dispatch.
    package func requestFinished(collection: String, datasource: String, status: RequestStatus) {
        counter(
            "polytope_requests_finished_total",
            ["collection": collection, "datasource": datasource, "status": status.rawValue]
        ).increment()
    }

    /// The broker ran a dispatch round (as the leader) that found requests waiting.
    package func dispatchRound() {
        counter("polytope_dispatch_rounds_total", [:]).increment()
    }

    /// The broker admitted requests under the limits and queued them for workers, per collection.
    package func requestsDispatched(_ counts: [String: Int]) {
        for (collection, count) in counts {
            counter("polytope_requests_dispatched_total", ["collection": collection]).increment(by: count)
        }
    }

    /// Requests revoked by their owners (frontend).
    package func requestsRevoked(_ count: Int) {
        counter("polytope_requests_revoked_total", [:]).increment(by: count)
    }

    /// Time from submission to the start of processing (worker).
    package func queueWait(_ duration: Duration, collection: String) {
        timer("polytope_queue_wait_seconds", ["collection": collection]).recordNanoseconds(duration.nanoseconds)
    }

    /// Time a worker spent on one attempt, successful or not.
    package func processingTime(_ duration: Duration, collection: String, datasource: String) {
        timer("polytope_processing_seconds", ["collection": collection, "datasource": datasource]).recordNanoseconds(duration.nanoseconds)
    }

    /// Result bytes written to staging (worker).
    package func bytesStaged(_ bytes: Int64, collection: String, datasource: String) {
        counter("polytope_staged_bytes_total", ["collection": collection, "datasource": datasource]).increment(by: Int(bytes))
    }

    /// Result bytes sent to users (frontend downloads).
    package func bytesServed(_ bytes: Int) {
        counter("polytope_served_bytes_total", [:]).increment(by: bytes)
    }

    /// How many worker slots this process has and how many are busy.
    package func workerSlots(busy: Int, total: Int) {
        gauge("polytope_worker_slots_busy", [:]).record(busy)
        gauge("polytope_worker_slots", [:]).record(total)
    }

    /// Deletions by the garbage collector: `reason` is `expired`, `evicted` or `orphan`.
    package func garbageCollected(count: Int, bytes: Int64, reason: String) {
        guard count > 0 else { return }
        counter("polytope_gc_deleted_total", ["reason": reason]).increment(by: count)
        counter("polytope_gc_freed_bytes_total", ["reason": reason]).increment(by: Int(bytes))
    }

    /// One HTTP request: `route` is the route template (`/api/v1/requests/{name}`), never the raw path.
    package func httpRequest(method: String, route: String, status: Int, duration: Duration) {
        counter("polytope_http_requests_total", ["method": method, "route": route, "status": String(status)]).increment()
        timer("polytope_http_request_duration_seconds", ["method": method, "route": route]).recordNanoseconds(duration.nanoseconds)
    }

    /// A credential was refused (`scheme` as the client wrote it, lower-cased).
    package func authenticationFailed(scheme: String) {
        counter("polytope_auth_failures_total", ["scheme": scheme]).increment()
    }

    /// A sign-in was refused without checking, because of too many recent failures from the
    /// same client address or for the same user (`by`: `address` or `user`).
    package func authenticationThrottled(by: String) {
        counter("polytope_auth_throttled_total", ["by": by]).increment()
    }

    /// A password check was refused because the hashing pool was full.
    package func passwordChecksRefused() {
        counter("polytope_auth_hash_refused_total", [:]).increment()
    }

    /// This host's clock minus the database's, set at each check (PostgreSQL store).
    package func clockSkew(seconds: Double) {
        gauge("polytope_clock_skew_seconds", [:]).record(seconds)
    }

    /// The store's contents by collection and status, set when metrics are scraped.
    package func storeContents(_ statistics: RequestStatistics, collections: [String]) {
        let shown: [RequestStatus] = [.waiting, .uploading, .queued, .processing, .revoked, .processed, .failed]
        for collection in Set(collections).union(statistics.byCollection.keys) {
            for status in shown {
                let count = statistics.byCollection[collection]?[status.rawValue] ?? 0
                gauge("polytope_requests", ["collection": collection, "status": status.rawValue]).record(count)
            }
        }
    }

    private func counter(_ label: String, _ dimensions: KeyValuePairs<String, String>) -> Counter {
        Counter(label: label, dimensions: dimensions.map { ($0.key, $0.value) }, factory: factory)
    }

    private func timer(_ label: String, _ dimensions: KeyValuePairs<String, String>) -> CoreMetrics.Timer {
        CoreMetrics.Timer(label: label, dimensions: dimensions.map { ($0.key, $0.value) }, factory: factory)
    }

    private func gauge(_ label: String, _ dimensions: KeyValuePairs<String, String>) -> Gauge {
        Gauge(label: label, dimensions: dimensions.map { ($0.key, $0.value) }, factory: factory)
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
