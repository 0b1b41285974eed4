import Logging
import OutboundHTTP
import PolytopeCore
import PolytopeTestSupport

@testable import Datasources

/// A `polytope` datasource pointed at another server (a `ScriptedPolytopeServer`), on a
/// `SkippingClock`, logging into `logs`; the HTTP client gives up a connection after 1 s and
/// an answer after 1 s of silence.
struct FederationRig {
    /// One client for every test (never shut down: it lives as long as the test process).
    static let http = SharedHTTPClient(configuration: .init(connectTimeout: .seconds(1), readTimeout: .seconds(1)))

    let datasource: PolytopeServerDatasource
    let clock: SkippingClock
    let logs = LogRecording()

    /// The datasource forwards to `url`, polling every second, with a one-hour timeout.
    init(url: String, clock: SkippingClock = SkippingClock(), _ configure: (inout PolytopeServerDatasource.Configuration) -> Void = { _ in }) {
        var configuration = PolytopeServerDatasource.Configuration(
            url: url, collection: "od", peerName: "site-a", secret: "federation-test-secret-0123456789")
        configuration.timeout = .seconds(3600)
        configure(&configuration)
        let logs = logs
        self.clock = clock
        self.datasource = PolytopeServerDatasource(
            configuration: configuration, http: Self.http, clock: WaitingClock(clock), logger: { logs.logger(level: .debug) })
    }

    /// A retrieval of alice's.
    static func request(_ text: String = "param: 2t") throws -> DatasourceRequest {
        DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "od", text: text,
            document: try RequestTextParser().parse(text))
    }

    /// The result of `request`.
    func retrieve(_ request: DatasourceRequest) async throws -> [UInt8] {
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)
        return sink.bytes
    }

    /// The message the user sees when `request` fails, and what was written meanwhile.
    func failure(_ request: DatasourceRequest) async -> (message: String, written: Int) {
        let sink = CollectingSink()
        do {
            try await datasource.retrieve(request, into: sink)
            return ("no error", sink.byteCount)
        } catch let error as any UserFacingError {
            return (error.userMessage, sink.byteCount)
        } catch {
            return ("not for users (an internal error): \(error)", sink.byteCount)
        }
    }
}
