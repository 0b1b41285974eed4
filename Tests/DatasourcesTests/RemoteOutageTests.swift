import Foundation
import NIOHTTP1
import Testing

@testable import Datasources

@Suite("Federation: waiting out an outage of the other server")
struct RemoteOutageTests {
    @Test("the pause grows from twice the interval to 30 s; none once failures would last the tolerance")
    func backoff() {
        var outage = RemoteOutage(interval: .seconds(1), tolerance: .seconds(100))
        var now = Duration.seconds(1000)
        var pauses: [Duration] = []
        while let pause = outage.pause(afterFailureAt: now) {
            pauses.append(pause)
            now += pause
        }
        #expect(pauses == [2, 4, 8, 16, 30, 30].map { .seconds($0) })
        outage.ended()
        #expect(outage.pause(afterFailureAt: now) == .seconds(2), "a success starts the count again")
    }

    @Test("Retry-After is honoured, at least the interval, at most a minute")
    func retryAfter() {
        var outage = RemoteOutage(interval: .seconds(1), tolerance: .seconds(300))
        #expect(outage.pause(afterFailureAt: .zero, retryAfter: .seconds(7)) == .seconds(7))
        #expect(outage.pause(afterFailureAt: .seconds(7), retryAfter: .zero) == .seconds(1))
        #expect(outage.pause(afterFailureAt: .seconds(8), retryAfter: .seconds(86400)) == .seconds(60))
        #expect(outage.pause(afterFailureAt: .seconds(250), retryAfter: .seconds(60)) == nil, "past the tolerance")
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func readRetryAfter() {
        let now = Date(timeIntervalSince1970: 1_445_412_420)  // Wed, 21 Oct 2015 07:27:00 GMT
        func read(_ value: String?) -> Duration? {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "Retry-After", value: value) }
            return RemoteOutage.retryAfter(headers, now: now)
        }
        #expect(read("7") == .seconds(7))
        #expect(read(" 120 ") == .seconds(120))
        #expect(read("Wed, 21 Oct 2015 07:28:00 GMT") == .seconds(60))
        #expect(read("Wed, 21 Oct 2015 07:00:00 GMT") == .zero)
        #expect(read("soon") == nil)
        #expect(read("-5") == nil)
        #expect(read(nil) == nil)
    }
}
