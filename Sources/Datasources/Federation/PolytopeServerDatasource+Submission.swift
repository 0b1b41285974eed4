import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PolytopeCore

extension PolytopeServerDatasource {
    /// The `Idempotency-Key` of the forwarded submission of request `id`: the same for every
    /// attempt of the request, so that a submission repeated after a lost answer, or by the
    /// next attempt after this worker crashed, gets the request already forwarded (the other
    /// server remembers a key for 24 hours, per user). A request given up here is revoked
    /// there, and its key then answers 409: the next `generation` starts a new one.
    static func idempotencyKey(for id: RequestIdentifier, generation: Int) -> String {
        "polytope-federation-\(id)-\(generation)"
    }

    /// Forwards the request to the other server (as this server made it: its defaults and
    /// patches applied, not as the user sent it, so that the operator's patches hold there
    /// too) and returns where it is polled there. An outage is waited out.
    func submit(_ forwarding: Forwarding) async throws -> String {
        let request = forwarding.request
        let collection = configuration.collection ?? request.collection
        let body = ByteBuffer(string: JSONText.object(["verb": request.verb.rawValue, "request": try request.document.objectJSON()]))
        var outage = RemoteOutage(interval: configuration.pollInterval, tolerance: configuration.outageTolerance)
        var generation = 1
        while true {
            var submission = HTTPClientRequest(url: "\(forwarding.base)/api/v1/requests/\(collection)")
            submission.method = .POST
            submission.headers.add(name: "Authorization", value: forwarding.authorization)
            submission.headers.add(name: "Content-Type", value: "application/json")
            submission.headers.add(name: "Idempotency-Key", value: Self.idempotencyKey(for: request.id, generation: generation))
            submission.body = .bytes(body)
            let answer = try await answerThroughOutages(submission, &outage, forwarding, during: .submission)
            if answer.status == .conflict && generation < Self.keyGenerations {
                generation += 1
                continue
            }
            guard answer.status == .accepted else {
                throw failures.answer(answer.status, body: answer.body, user: request.user, during: .submission)
            }
            guard let location = answer.headers.first(name: "Location") else {
                throw failures.unreadable(answer.status, during: .submission, missing: "it has no Location to poll the request at")
            }
            guard let remote = Self.requestURL(location, base: forwarding.base) else {
                throw failures.unreadable(answer.status, during: .submission, missing: "its Location names no request")
            }
            return remote
        }
    }

    /// Where the accepted request is polled (and revoked), always on the configured server:
    /// its `/api/v1/requests/<id>` under `base`, whatever host the `Location` names, so that
    /// the peer credential never goes to another host (a proxy's public name, or worse).
    static func requestURL(_ location: String, base: String) -> String? {
        let marker = "/api/v1/requests/"
        guard let found = location.range(of: marker) else { return nil }
        let id = location[found.upperBound...].prefix { $0 != "?" && $0 != "#" && $0 != "/" }
        guard !id.isEmpty, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return nil }
        return base + marker + id
    }
}
