import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PolytopeCore

extension PolytopeServerDatasource {
    /// Where the result of a finished remote request is, as its 303 said.
    struct RemoteResult: Sendable, Hashable {
        var url: String
        /// `contentLength` of the 303's body, when it has one.
        var announcedLength: Int64?
    }

    /// Polls the remote request until it redirects to the data (303) or fails. An outage is
    /// waited out.
    func awaitResult(_ remote: String, _ forwarding: Forwarding) async throws -> RemoteResult {
        var outage = RemoteOutage(interval: configuration.pollInterval, tolerance: configuration.outageTolerance)
        while true {
            var poll = HTTPClientRequest(url: remote)
            poll.headers.add(name: "Authorization", value: forwarding.authorization)
            let answer = try await answerThroughOutages(poll, &outage, forwarding, during: .processing)
            outage.ended()
            switch answer.status {
            case .accepted:
                guard clock.now() + configuration.pollInterval < forwarding.deadline else {
                    throw failures.timedOut(after: configuration.timeout)
                }
                try await clock.sleep(configuration.pollInterval)
            case .seeOther:
                guard let target = answer.headers.first(name: "Location") else {
                    throw failures.unreadable(answer.status, during: .processing, missing: "it has no Location of the result")
                }
                let fields = try? JSONDecoder().decode([String: JSONValue].self, from: Data(answer.body.readableBytesView))
                let announced = fields?["contentLength"]?.scalarText.flatMap { Int64($0) }
                return RemoteResult(url: absolute(target, base: forwarding.base), announcedLength: announced.flatMap { $0 >= 0 ? $0 : nil })
            default:
                throw failures.answer(answer.status, body: answer.body, user: forwarding.request.user, during: .processing)
            }
        }
    }

    private func absolute(_ location: String, base: String) -> String {
        location.hasPrefix("http://") || location.hasPrefix("https://") ? location : base + (location.hasPrefix("/") ? "" : "/") + location
    }
}
