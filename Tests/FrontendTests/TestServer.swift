import Foundation
import Frontend
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PolytopeCore
import PolytopeServer
import PolytopeTestSupport
import ServiceLifecycle

/// A whole polytope (every role) on a temporary data directory, tested through the router
/// without opening a port.
struct TestServer {
    static let configuration = """
        server: {max-body-size: 64K}
        broker: {poll-interval: 50ms}
        worker: {slots: 2, poll-interval: 50ms, lease: 10s, heartbeat: 2s}
        authentication:
          users:
            - {username: alice, password: alice-pw, roles: [default]}
            - {username: bob, password: bob-pw, roles: [default]}
            - {username: eve, password: eve-pw, roles: [guest]}
            - {username: root, password: root-pw, roles: [admin]}
        collections:
          debug:
            roles: [default]
            limits: {total: 10, per-user: 4}
            datasources:
              - {name: echo, type: echo, match: {datasource: echo}}
              - {name: raise, type: raise, message: "fails on purpose", match: {datasource: raise}}
              - {name: dummy, type: dummy, max-size: 10M, defaults: {datasource: dummy}, match: {datasource: dummy}}
          public:
            datasources:
              - {name: echo, type: echo}
        """

    let directory: TemporaryDirectory
    let server: PolytopeServer

    init(roles: Set<Role> = Set(Role.allCases), configuration text: String = Self.configuration) async throws {
        directory = try TemporaryDirectory()
        let file = directory.file("polytope.yaml")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let (configuration, _) = try PolytopeConfiguration.load(
            files: [file], overrides: .init(dataDirectory: directory.file("data")), environment: [:]
        )
        server = try await PolytopeServer(configuration: configuration, roles: roles, logger: Logger.quiet)
    }

    /// Runs the background roles while `body` talks to the router.
    func test(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        defer { directory.remove() }
        let application = Application(router: server.makeRouter())
        let group = ServiceGroup(services: server.makeBackgroundServices(), logger: Logger.quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await application.test(.router, body)
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// `Authorization: Basic ...` for a user.
func basic(_ user: String, _ password: String) -> HTTPFields {
    [.authorization: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()]
}

let alice = basic("alice", "alice-pw")
let bob = basic("bob", "bob-pw")
let root = basic("root", "root-pw")

/// The JSON body of a response as a dictionary.
func json(_ response: TestResponse) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    guard let dictionary = object as? [String: Any] else { throw TestFailure(description: "not a JSON object: \(object)") }
    return dictionary
}

/// The `message` of a JSON body.
func message(_ response: TestResponse) throws -> String {
    try json(response)["message"] as? String ?? ""
}

extension TestClientProtocol {
    /// Submits a retrieve of `text` to `collection`; returns the response.
    func submit(_ text: String, to collection: String = "debug", as headers: HTTPFields = alice) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: ["verb": "retrieve", "request": text])
        return try await execute(uri: "/api/v1/requests/\(collection)", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// Submits and returns the new request's id.
    func submitID(_ text: String, as headers: HTTPFields = alice) async throws -> String {
        let response = try await submit(text, as: headers)
        guard response.status == .accepted, let location = response.headers[.location] else {
            throw TestFailure(description: "submit failed: \(response.status) \(String(buffer: response.body))")
        }
        return String(location.split(separator: "/").last!)
    }

    /// Polls until the request leaves the waiting/queued/processing states.
    func pollUntilDone(_ id: String, as headers: HTTPFields = alice) async throws -> TestResponse {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let response = try await execute(uri: "/api/v1/requests/\(id)", method: .get, headers: headers)
            if response.status != .accepted { return response }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimeoutError(description: "request \(id) did not finish")
    }
}
