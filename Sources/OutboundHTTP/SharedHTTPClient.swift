import AsyncHTTPClient
import NIOCore
import NIOPosix
import PolytopeCore
import ServiceLifecycle
import Synchronization

/// The one HTTP client of a process, for every outgoing call: data portals (`http`
/// datasources), other Polytope servers (federation), archive data fetched from a URL, S3
/// staging and Auth-o-tron.
///
/// Created by the composition root with the configuration, made on first use (a process
/// that never calls out, such as `polytope config check`, opens nothing), and shut down when
/// the process stops: it runs as a service whose `run()` returns at graceful shutdown.
/// Redirects are never followed by the client: callers that follow them do so themselves,
/// checking where they lead.
package final class SharedHTTPClient: Service, Sendable {
    /// Timeouts of every call.
    package struct Configuration: Sendable, Hashable {
        /// How long a connection may take to open (an unreachable host fails fast).
        package var connectTimeout: Duration
        /// How long a connection may stay silent while an answer is awaited or read.
        package var readTimeout: Duration
        /// Connections kept per host.
        package var connectionsPerHost: Int

        package init(connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(60), connectionsPerHost: Int = 32) {
            self.connectTimeout = connectTimeout
            self.readTimeout = readTimeout
            self.connectionsPerHost = connectionsPerHost
        }
    }

    private enum State {
        case idle
        case running(HTTPClient)
        case stopped
    }

    package let configuration: Configuration
    private let state = Mutex<State>(.idle)

    package init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    deinit {
        if case .running(let client) = state.withLock({ $0 }) { client.shutdown { _ in } }
    }

    /// The client, made on first use.
    package var client: HTTPClient {
        state.withLock { state in
            if case .running(let client) = state { return client }
            var settings = HTTPClient.Configuration()
            settings.redirectConfiguration = .disallow
            settings.timeout = .init(
                connect: .nanoseconds(configuration.connectTimeout.nanoseconds), read: .nanoseconds(configuration.readTimeout.nanoseconds))
            settings.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.connectionsPerHost
            let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: settings)
            // A client made after shutdown (a late caller) is shut down by deinit.
            state = .running(client)
            return client
        }
    }

    package func run() async throws {
        try? await gracefulShutdown()
        let client = state.withLock { state -> HTTPClient? in
            defer { state = .stopped }
            if case .running(let client) = state { return client }
            return nil
        }
        try await client?.shutdown()
    }
}
