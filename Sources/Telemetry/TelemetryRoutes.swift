import Foundation
import Hummingbird
import Logging
import NIOCore
import PolytopeCore

/// `/telemetry/v1`: liveness, readiness and a summary of the request store.
///
/// `health` says the process answers; `ready` also checks that the store answers and that
/// staging can be written, so that a load balancer only sends traffic to working instances.
public struct TelemetryRoutes: Sendable {
    let store: (any StatisticsStore & RetentionStore)?
    let staging: (any StagingArea)?
    let wallClock: any WallClock
    let roles: [String]

    public init(
        store: (any StatisticsStore & RetentionStore)?, staging: (any StagingArea)?, roles: [String], wallClock: any WallClock = SystemWallClock()
    ) {
        self.store = store
        self.staging = staging
        self.roles = roles
        self.wallClock = wallClock
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group("telemetry/v1")
        group.get("health") { _, _ in
            Self.json(["status": "ok", "message": "Polytope is alive", "roles": roles.joined(separator: ",")])
        }
        group.get("ready") { _, context in try await ready(logger: context.logger) }
        group.get("summary") { _, _ in try await summary() }
    }

    private func ready(logger: Logger) async throws -> Response {
        var checks: [String: String] = [:]
        var healthy = true
        if let store {
            do {
                try await store.checkHealth()
                checks["request-store"] = "ok"
            } catch {
                healthy = false
                checks["request-store"] = "unreachable"
                logger.error("readiness: request store check failed", metadata: ["error": "\(error)"])
            }
        }
        if let staging {
            do {
                try await staging.checkWritable()
                checks["staging"] = "ok"
            } catch {
                healthy = false
                checks["staging"] = "not writable"
                logger.error("readiness: staging check failed", metadata: ["error": "\(error)"])
            }
        }
        checks["status"] = healthy ? "ready" : "not ready"
        return Self.json(checks, status: healthy ? .ok : .serviceUnavailable)
    }

    struct Summary: Encodable {
        var requestsByStatus: [String: Int]
        var requestsByCollection: [String: [String: Int]]
        var queueDepth: Int
        var oldestWaitingSeconds: Double?
    }

    private func summary() async throws -> Response {
        guard let store else { return Self.json(["message": "this process has no request store"], status: .notFound) }
        let statistics = try await store.statistics()
        let byStatus = statistics.byStatus
        let summary = Summary(
            requestsByStatus: byStatus,
            requestsByCollection: statistics.byCollection,
            queueDepth: byStatus["waiting", default: 0] + byStatus["queued", default: 0],
            oldestWaitingSeconds: statistics.oldestWaitingSince.map { wallClock.now().timeIntervalSince($0) }
        )
        return Self.json(summary)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
