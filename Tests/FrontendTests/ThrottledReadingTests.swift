import Synchronization
import Testing

@testable import Telemetry

@Suite("Throttled readings: what anyone may ask costs the store a bounded share of its time")
struct ThrottledReadingTests {
    /// Counts readings; each takes `cost`.
    final class Counter: Sendable {
        let readings = Mutex(0)
        let cost: Duration

        init(cost: Duration = .zero) { self.cost = cost }

        func read() async throws -> Int {
            try await Task.sleep(for: cost)
            return readings.withLock { count in
                count += 1
                return count
            }
        }
    }

    @Test("callers within the interval share one reading; after it, a new one is taken")
    func shared() async throws {
        let counter = Counter()
        let reading = ThrottledReading(minimumInterval: .seconds(5), costFactor: 0) { try await counter.read() }
        for _ in 0..<50 { #expect(try await reading.value() == 1) }

        let brief = Counter()
        let briefReading = ThrottledReading(minimumInterval: .milliseconds(50), costFactor: 0) { try await brief.read() }
        #expect(try await briefReading.value() == 1)
        try await Task.sleep(for: .milliseconds(100))
        #expect(try await briefReading.value() == 2)
    }

    @Test("callers that arrive while a reading is taken wait for that one")
    func concurrent() async throws {
        let counter = Counter(cost: .milliseconds(100))
        let reading = ThrottledReading(minimumInterval: .zero, costFactor: 50) { try await counter.read() }
        let values = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 { group.addTask { try await reading.value() } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(Set(values) == [1], "one reading for all: \(values)")
        #expect(counter.readings.withLock { $0 } == 1)
    }

    @Test("a slow reading stays current for that many times its cost")
    func slowReadingsLastLonger() async throws {
        let counter = Counter(cost: .milliseconds(50))
        let reading = ThrottledReading(minimumInterval: .milliseconds(1), costFactor: 20) { try await counter.read() }
        #expect(try await reading.value() == 1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await reading.value() == 1, "at least 50 ms × 20 = 1 s current")
    }

    @Test("a failed reading is not kept: the next caller reads again")
    func failures() async throws {
        struct Unavailable: Error {}
        let attempts = Mutex(0)
        let reading = ThrottledReading(minimumInterval: .seconds(60)) { () async throws -> Int in
            let attempt = attempts.withLock { count in
                count += 1
                return count
            }
            if attempt == 1 { throw Unavailable() }
            return attempt
        }
        await #expect(throws: Unavailable.self) { try await reading.value() }
        #expect(try await reading.value() == 2)
    }
}
