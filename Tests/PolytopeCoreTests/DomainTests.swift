import Foundation
import PolytopeCore
import PolytopeTestSupport
import Testing

@Suite("Domain values")
struct DomainTests {
    @Test(
        "status transitions",
        arguments: [
            (RequestStatus.waiting, RequestStatus.queued, true),
            (.queued, .processing, true),
            (.processing, .processed, true),
            (.processing, .failed, true),
            (.processing, .queued, true),
            (.uploading, .waiting, true),
            (.waiting, .processing, false),
            (.processed, .queued, false),
            (.failed, .processing, false),
            (.processed, .revoked, true),
            (.revoked, .revoked, false),
            (.revoked, .queued, false),
        ]
    )
    func transitions(_ from: RequestStatus, _ to: RequestStatus, _ allowed: Bool) {
        #expect(from.canChange(to: to) == allowed)
    }

    @Test(
        "a request whose lease expired is queued again, fails after its last attempt, or is deleted if revoked",
        arguments: [
            (RequestStatus.processing, 1, LeaseRecovery.Outcome.requeued, RequestStatus?.some(.queued), String?.some("attempt 2 of 3")),
            (.processing, 2, .requeued, .queued, "attempt 3 of 3"),
            (.processing, 3, .failed, .failed, "started 3 times"),
            (.revoked, 1, .purged, nil, nil),
        ]
    )
    func leaseRecovery(_ status: RequestStatus, _ attempts: Int, _ outcome: LeaseRecovery.Outcome, _ next: RequestStatus?, _ says: String?) {
        let id = RequestIdentifier()
        let recovery = LeaseRecovery(id: id, status: status, attempts: attempts, previousOwner: "w1", maximumAttempts: 3)
        #expect(recovery.outcome == outcome && recovery.outcome.status == next)
        #expect(recovery.userMessage?.contains(says ?? "") ?? (says == nil))
        #expect((recovery.userMessage == nil) == (says == nil))
    }

    @Test("Authorization headers split into credentials, as polytope-client joins them")
    func credentials() {
        let credentials = Credential.parse(header: "EmailKey a@b.int:KEY, Basic dXNlcjpwYXNz")
        #expect(credentials == [Credential(scheme: "EmailKey", value: "a@b.int:KEY"), Credential(scheme: "Basic", value: "dXNlcjpwYXNz")])
        #expect(Credential.parse(header: "Bearer") == [Credential(scheme: "Bearer", value: "")])
        #expect(Credential.parse(header: " , ").isEmpty)
        #expect(credentials[1].isScheme("basic"))
    }

    @Test("request ids parse only UUIDs and print in lower case")
    func requestIDs() {
        let id = RequestIdentifier()
        #expect(RequestIdentifier(id.description) == id)
        #expect(RequestIdentifier(id.description.uppercased()) == id)
        #expect(id.description == id.description.lowercased())
        #expect(RequestIdentifier("../../etc/passwd") == nil)
        #expect(RequestIdentifier("debug") == nil)
    }

    @Test("new request ids are version 7 UUIDs: time first, then random, sorting in time order")
    func timeOrderedIDs() {
        let earlier = RequestIdentifier(RequestIdentifier.timeOrderedUUID(now: Date(timeIntervalSince1970: 1_700_000_000)))
        let later = RequestIdentifier(RequestIdentifier.timeOrderedUUID(now: Date(timeIntervalSince1970: 1_700_000_000.002)))
        #expect(earlier.description.hasPrefix("018bcfe5-6800-7"), "\(earlier)")
        #expect(earlier < later)
        let ids = (0..<1000).map { _ in RequestIdentifier() }
        #expect(Set(ids).count == 1000)
        #expect(ids.allSatisfy { Array($0.description)[14] == "7" && "89ab".contains(Array($0.description)[19]) }, "\(ids.prefix(3))")
    }

    @Test("staging keys are unique per attempt and validated")
    func stagingKeys() {
        let id = RequestIdentifier()
        #expect(StagingKey.make(id: id, attempt: 1) != StagingKey.make(id: id, attempt: 2))
        #expect(StagingKey.isValid(StagingKey.make(id: id, attempt: 3)))
        #expect(!StagingKey.isValid("../\(id).1"))
        #expect(!StagingKey.isValid("\(id)"))
        #expect(!StagingKey.isValid(".ready-probe"))
        #expect(!StagingKey.isValid("\(id).-1") && !StagingKey.isValid("\(id).+1") && !StagingKey.isValid("\(id)."))
    }

    @Test("upload keys are unique per upload, and validated as strictly")
    func uploadKeys() {
        let id = RequestIdentifier()
        let first = StagingKey.makeUpload(id: id)
        let second = StagingKey.makeUpload(id: id)
        #expect(first != second)
        #expect(first.hasPrefix("\(id).upload-"))
        #expect(StagingKey.isValid(first) && StagingKey.isValid(second))
        let uuid = UUID().uuidString
        for invalid in [
            "\(id).upload-", "\(id).upload-\(uuid)", "\(id).upload-nope", "\(id).upload-\(uuid.lowercased())/x",
            "\(id).upload-../\(uuid.lowercased())", "../\(id).upload-\(uuid.lowercased())", "\(id).download-\(uuid.lowercased())",
        ] {
            #expect(!StagingKey.isValid(invalid), "\(invalid)")
        }
    }

    @Test("the transition table: the changes the stores make, no others")
    func transitionTable() {
        let allowed = RequestStatus.allCases.flatMap { from in RequestStatus.allCases.filter(from.canChange).map { "\(from)>\($0)" } }
        #expect(
            Set(allowed) == [
                "uploading>waiting", "uploading>failed", "waiting>queued", "waiting>failed", "queued>processing", "processing>processed",
                "processing>failed", "processing>queued", "waiting>revoked", "uploading>revoked", "queued>revoked", "processing>revoked",
                "processed>revoked", "failed>revoked",
            ])
    }

    @Test("the request document keeps order, replaces in place and removes")
    func document() {
        var document = RequestDocument()
        document["B"] = .list(["1"])
        document["a"] = .list(["2"])
        document["b"] = .list(["3"])
        #expect(document.keys == ["b", "a"])
        #expect(document.word("b") == "3")
        document["b"] = nil
        #expect(document.keys == ["a"])
        #expect(document.marsText == "a=2")
    }
}

@Suite("In-process signals")
struct SignalTests {
    @Test("a signal before the wait is remembered once")
    func pendingSignal() async throws {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        await signal.wait()
        let clock = ManualClock()
        let waiter = Task { await signal.wait(timeout: .seconds(5), clock: clock) }
        // Not `try?`: advancing the clock before the waiter sleeps would leave it asleep
        // forever (a loaded full run hung here); a long timeout, as other suites may hold the
        // shared threads for seconds.
        try await eventually(timeout: .seconds(60)) { clock.sleeperCount == 1 }
        clock.advance(by: .seconds(5))
        await waiter.value
    }

    @Test("a signal wakes every current waiter")
    func broadcast() async throws {
        let signal = WakeSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask { await signal.wait() }
            }
            // A long timeout: on a loaded 2-core machine other suites can hold both threads of
            // the shared pool for seconds before these tasks start (seen in a full run).
            try await eventually(timeout: .seconds(60), "three waiters") { signal.waiterCount == 3 }
            signal.signal()
            try await group.waitForAll()
        }
    }

    @Test("a latch releases current and later waiters")
    func latch() async {
        let latch = Latch()
        #expect(!latch.isOpen)
        async let waiting: Void = latch.wait()
        latch.open()
        await waiting
        await latch.wait()
        #expect(latch.isOpen)
    }

    @Test("a cancelled wait returns")
    func cancellation() async {
        let signal = WakeSignal()
        let task = Task { await signal.wait() }
        task.cancel()
        await task.value
    }
}
