import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import PolytopeCore

extension PolytopeServerDatasource {
    /// Streams the finished result at `url` into `output`.
    func download(_ url: String, _ forwarding: Forwarding, into output: some ByteSink) async throws {
        var get = HTTPClientRequest(url: url)
        // Our credential goes only to the other server itself, never to an object store it
        // redirects to (presigned URLs carry their own signature).
        if url.hasPrefix(forwarding.base + "/") { get.headers.add(name: "Authorization", value: forwarding.authorization) }
        let response: HTTPClientResponse
        switch try await open(get, forwarding, during: .download) {
        case .lost(let failure): throw failure
        case .answered(let answered): response = answered
        }
        guard response.status == .ok else {
            let body = try await response.body.collect(upTo: Self.answerLimit)
            throw failures.answer(response.status, body: body, user: forwarding.request.user, during: .download)
        }
        // The client's deadline covers the answer's head only: a result that drips in is cut
        // off here (within the client's 60 s limit on silence).
        for try await chunk in response.body {
            guard clock.now() < forwarding.deadline else { throw failures.timedOut(after: configuration.timeout) }
            try await output.write(chunk)
        }
    }
}
