import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PolytopeCore

extension PolytopeServerDatasource {
    /// Polls the remote request until it redirects to the data (303) or fails, and returns
    /// where the data is. An outage is waited out.
    func awaitResult(_ remote: String, _ forwarding: Forwarding) async throws -> String {
        var outage = RemoteOutage(interval: configuration.pollInterval, tolerance: configuration.outageTolerance)
        while true {
            var poll = HTTPClientRequest(url: remote)
            poll.headers.add(name: "Authorization", value: forwarding.authorization)
            let answer: Answer
            switch try await exchange(poll, forwarding, during: .processing) {
            case .lost(let failure):
                try await waitOut(failure, &outage, retryAfter: nil, forwarding)
                continue
            case .answered(let answered):
                answer = answered
            }
            if RemoteServerFailure.isOutage(answer.status) {
                let failure = failures.answer(answer.status, body: answer.body, user: forwarding.request.user, during: .processing)
                try await waitOut(failure, &outage, retryAfter: answer.retryAfter, forwarding)
                continue
            }
            outage.ended()
            switch answer.status {
            case .accepted:
                guard clock.now() + configuration.pollInterval < forwarding.deadline else {
                    throw failures.timedOut(after: configuration.timeout)
                }
                try await clock.sleep(configuration.pollInterval)
            case .seeOther:
                guard let target = answer.headers.first(name: "Location") else {
                    throw failures.answer(answer.status, body: answer.body, user: forwarding.request.user, during: .processing)
                }
                return absolute(target, base: forwarding.base)
            default:
                throw failures.answer(answer.status, body: answer.body, user: forwarding.request.user, during: .processing)
            }
        }
    }

    private func absolute(_ location: String, base: String) -> String {
        location.hasPrefix("http://") || location.hasPrefix("https://") ? location : base + (location.hasPrefix("/") ? "" : "/") + location
    }
}
