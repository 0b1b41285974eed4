import Logging
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

@Suite("Federation: what the user is told")
struct PolytopeServerMessageTests {
    @Test("a server that refuses the connection is said to, in plain words")
    func refused() async throws {
        let port = try ReservedPort()
        let rig = FederationRig(url: "http://127.0.0.1:\(port.port)") { $0.outageTolerance = .seconds(3) }
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(message == "The Polytope server at http://127.0.0.1:\(port.port) refused the connection while accepting the request.")
    }

    @Test("a server that takes the connection and never answers did not answer within the client's limit: it was reached")
    func silent() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in .silence }
        let rig = FederationRig(url: remote.url) { $0.outageTolerance = .seconds(3) }
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(message == "The Polytope server at \(remote.url) did not answer within 1s while accepting the request.")
        #expect(rig.clock.sleeps.count == 1, "tried again once within the tolerance")
        await remote.close()
    }

    @Test("a failure whose message points to the operator's log is logged there, with its cause, as a warning")
    func loggedCause() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in .raw(Array("this is not HTTP\r\n\r\n".utf8)) }
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(message == "The call to the Polytope server at \(remote.url) failed while accepting the request; the operator's log has the details.")
        #expect(rig.logs.messages(at: .warning).count == 1)
        await remote.close()
    }

    @Test("a 202 that cannot be read is said to be unreadable, not refused without a reason")
    func unreadableAcceptance() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in
            .answer(202, headers: [("Content-Type", "text/html")], body: Array("<html>not json</html>".utf8))
        }
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) answered 202 while accepting the request, but its answer could not be read "
                + "(it has no Location to poll the request at).")
        await remote.close()
    }

    @Test("the other server's failure reaches the user once, without its own 'Request failed with error:'")
    func remoteFailure() async throws {
        let remote = try await ScriptedPolytopeServer.start { request in
            request.method == "POST"
                ? ScriptedPolytopeServer.accepted()
                : .json(400, #"{"message":"Request failed with error:\nThe raise datasource always fails (this is a test)."}"#)
        }
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) answered 400 while processing the request: The raise datasource always fails (this is a test)."
        )
        await remote.close()
    }

    @Test("a 401 says the other server refused this user's credentials, naming both causes: the peer settings, or the user")
    func refusedCredentials() async throws {
        let remote = try await ScriptedPolytopeServer.start { _ in .json(401, #"{"message":"Invalid credentials."}"#) }
        let rig = FederationRig(url: remote.url)
        let (message, _) = await rig.failure(try FederationRig.request())
        #expect(
            message
                == "The Polytope server at \(remote.url) refused the credentials this server sent for user 'alice' of realm 'local' (401) "
                + "while accepting the request: Invalid credentials. Either that server does not accept this user (unknown there, or of a "
                + "realm this server may not forward), or the operators of the two servers have configured different peer names or secrets.")
        #expect(remote.received("POST", "/").count == 1, "not tried again")
        await remote.close()
    }
}
