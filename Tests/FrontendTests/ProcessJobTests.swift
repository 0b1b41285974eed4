import Foundation
import PolytopeCore
import Testing

@testable import Frontend

@Suite("CDS / OGC API - Processes job documents")
struct ProcessJobTests {
    let created = Date(timeIntervalSince1970: 1_700_000_000)
    let jobs = "http://host:8080/api/retrieve/v1/jobs"

    func record(_ status: RequestStatus, message: String = "", result: StagedResult? = nil) -> RequestRecord {
        RequestRecord(
            user: User(username: "alice"), verb: .retrieve, collection: "debug", datasource: "echo", status: status,
            userMessage: message, requestText: #"{"size":"10"}"#, normalisedRequest: RequestDocument(), result: result,
            createdAt: created, updatedAt: created.addingTimeInterval(5))
    }

    @Test("every request status maps to a state the clients understand")
    func statusMapping() {
        let expected: [RequestStatus: ProcessJobStatus] = [
            .uploading: .accepted, .waiting: .accepted, .queued: .accepted, .processing: .running,
            .processed: .successful, .failed: .failed, .revoked: .dismissed,
        ]
        for status in RequestStatus.allCases { #expect(ProcessJobStatus(status) == expected[status]) }
        let understood: Set = ["accepted", "running", "successful", "failed", "rejected", "dismissed", "deleted"]
        for status in ProcessJobStatus.allCases { #expect(understood.contains(status.rawValue)) }
    }

    @Test("the status document has one absolute monitor link, a self link and the job fields")
    func statusDocument() throws {
        let record = record(.queued)
        let document = ProcessJob(record: record, jobsURL: jobs, statusMessage: "Request queued for the next free worker.").statusDocument()
        guard case .object(let fields) = document, case .array(let links) = fields["links"] else {
            Issue.record("not an object with links")
            return
        }
        #expect(fields["jobID"] == .string(record.id.description))
        #expect(fields["status"] == .string("accepted"))
        #expect(fields["type"] == .string("process"))
        #expect(fields["processID"] == .string("debug"))
        #expect(fields["created"] == .string(ProcessJob.timestamp(created)))
        #expect(fields["finished"] == nil)
        let monitors = links.filter { if case .object(let link) = $0 { link["rel"] == .string("monitor") } else { false } }
        #expect(monitors == [ProcessJob.link("\(jobs)/\(record.id)", rel: "monitor", title: "job status")])
        #expect(links.contains(ProcessJob.link("\(jobs)/\(record.id)", rel: "self", title: "job status")))
        let log = try #require(fields["metadata"].flatMap { if case .object(let m) = $0 { m["log"] } else { nil } })
        #expect(
            log == .array([.array([.string(ProcessJob.timestamp(record.updatedAt)), .string("INFO: Request queued for the next free worker.")])]))
    }

    @Test("the log carries the status message and user messages, only when newer than logStartTime")
    func logEntries() {
        let job = ProcessJob(record: record(.waiting, message: "first\nsecond"), jobsURL: jobs, statusMessage: "Waiting: 3 ahead of you.")
        #expect(job.log().map(\.text) == ["INFO: Waiting: 3 ahead of you.", "INFO: first", "INFO: second"])
        #expect(job.log(after: created.addingTimeInterval(5)).isEmpty)
        #expect(job.log(after: created).count == 3)
        let failed = ProcessJob(record: record(.failed, message: "no such field"), jobsURL: jobs)
        #expect(failed.log().map(\.text) == ["ERROR: no such field"])
    }

    @Test("a log entry is not repeated when its written timestamp comes back as logStartTime")
    func logStartTimeRoundTrip() throws {
        var record = record(.processing, message: "half done")
        record.updatedAt = Date(timeIntervalSince1970: 1_700_000_000.123_456_7)
        let job = ProcessJob(record: record, jobsURL: jobs)
        let written = try #require(job.log().first).at
        let sentBack = try #require(ProcessJob.date(from: ProcessJob.timestamp(written)))
        #expect(job.log(after: sentBack).isEmpty)
        #expect(job.log(after: sentBack.addingTimeInterval(-0.001)).count == 1)
    }

    @Test("results of a successful job name the href, size and type; others have none")
    func results() {
        let result = StagedResult(key: "k", contentType: "application/x-grib", contentLength: 20_971_520)
        let job = ProcessJob(record: record(.processed, result: result), jobsURL: jobs)
        guard case .object(let root) = job.resultsDocument(href: "http://h/d?sig"), case .object(let asset) = root["asset"],
            case .object(let value) = asset["value"]
        else {
            Issue.record("no asset")
            return
        }
        #expect(value["href"] == .string("http://h/d?sig"))
        #expect(value["file:size"] == .number(20_971_520))
        #expect(value["type"] == .string("application/x-grib"))
        #expect(ProcessJob(record: record(.failed), jobsURL: jobs).resultsDocument(href: "x") == nil)
        #expect(ProcessJob(record: record(.processing), jobsURL: jobs).resultsDocument(href: "x") == nil)
    }

    @Test("timestamps round-trip")
    func timestamps() {
        #expect(ProcessJob.date(from: ProcessJob.timestamp(created)) == created)
        #expect(ProcessJob.date(from: "2023-11-14T22:13:20Z") == created)
        #expect(ProcessJob.date(from: "yesterday") == nil)
    }
}
