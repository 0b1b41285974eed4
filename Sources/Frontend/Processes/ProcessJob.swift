import Foundation
import PolytopeCore

/// The OGC API - Processes status of a job, as cdsapi and ecmwf-datastores-client understand it.
///
/// Those clients raise "Unknown API state" on anything else, so every `RequestStatus` maps to
/// one of these.
package enum ProcessJobStatus: String, Sendable, CaseIterable {
    case accepted
    case running
    case successful
    case failed
    case dismissed

    /// The status of a job whose request has `status`.
    package init(_ status: RequestStatus) {
        switch status {
        case .uploading, .waiting, .queued: self = .accepted
        case .processing: self = .running
        case .processed: self = .successful
        case .failed: self = .failed
        case .revoked: self = .dismissed
        }
    }
}

/// The JSON documents of the CDS / OGC API - Processes front, built from request records
/// without I/O: job status, job list entry, results, process description.
///
/// `monitor` and `self` links are absolute (the clients follow `rel: "monitor"` as given).
package struct ProcessJob: Sendable {
    /// The request the job is.
    package var record: RequestRecord
    /// Absolute URL of the jobs collection, `<base><prefix>/retrieve/v1/jobs`.
    package var jobsURL: String
    /// What the v1 poll says of a running request: why it waits (the queue explanation),
    /// or what it is doing; nil for a finished one.
    package var statusMessage: String?

    package init(record: RequestRecord, jobsURL: String, statusMessage: String? = nil) {
        self.record = record
        self.jobsURL = jobsURL
        self.statusMessage = statusMessage
    }

    /// The job's status.
    package var status: ProcessJobStatus { ProcessJobStatus(record.status) }

    /// `<jobsURL>/<id>`.
    package var monitorURL: String { "\(jobsURL)/\(record.id)" }

    /// The job status document (`statusInfo`): `jobID`, `status`, `type`, `processID`,
    /// `created`, `updated`, `started`/`finished` once known, `links` (exactly one `monitor`,
    /// one `self`, `results` once successful) and `metadata.log`.
    /// - Parameter logAfter: only log entries later than this are included (the clients send
    ///   the time of the last entry they printed as `log_start_time`).
    package func statusDocument(logAfter: Date? = nil) -> JSONValue {
        var links: [JSONValue] = [
            Self.link(monitorURL, rel: "self", title: "job status"),
            Self.link(monitorURL, rel: "monitor", title: "job status"),
        ]
        if status == .successful { links.append(Self.link("\(monitorURL)/results", rel: "results", title: "job results")) }
        var document: [String: JSONValue] = [
            "jobID": .string(record.id.description),
            "processID": .string(record.collection),
            "type": .string("process"),
            "status": .string(status.rawValue),
            "created": .string(Self.timestamp(record.createdAt)),
            "updated": .string(Self.timestamp(record.updatedAt)),
            "links": .array(links),
            "metadata": .object([
                "log": .array(log(after: logAfter).map { .array([.string(Self.timestamp($0.at)), .string($0.text)]) }),
                "request": .object(["ids": requestInputs]),
            ]),
        ]
        if let started = record.statusHistory.first(where: { $0.status == .processing })?.at {
            document["started"] = .string(Self.timestamp(started))
        }
        if record.status.isFinal {
            document["finished"] = .string(Self.timestamp(record.updatedAt))
        }
        return .object(document)
    }

    /// The request as submitted, as a JSON object when it was one (`metadata.request.ids`).
    var requestInputs: JSONValue {
        if let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(record.requestText.utf8)), case .object = decoded {
            return decoded
        }
        return .object(["request": .string(record.requestText)])
    }

    /// The entries of `metadata.log`: the status message (why it waits), then each line of the user messages,
    /// as `INFO:` lines (`ERROR:` for the reason of a failed job), stamped with the record's
    /// last change so a client that asks for later entries does not print them twice.
    package func log(after: Date? = nil) -> [(at: Date, text: String)] {
        var lines: [String] = []
        if let statusMessage { lines.append(contentsOf: statusMessage.split(separator: "\n").map(String.init)) }
        lines.append(contentsOf: record.userMessage.split(separator: "\n").map(String.init))
        let level = record.status == .failed ? "ERROR" : "INFO"
        let at = record.updatedAt
        // Compared in whole milliseconds: the client sends back the timestamp as written.
        if let after, (at.timeIntervalSince1970 * 1000).rounded(.down) <= (after.timeIntervalSince1970 * 1000).rounded() { return [] }
        return lines.filter { !$0.trimmed.isEmpty }.map { (at, "\(level): \($0)") }
    }

    /// `{"asset": {"value": {"href", "file:size", "type"}}}` for a successful job whose
    /// result can be downloaded at `href`; nil when the job has no result.
    package func resultsDocument(href: String) -> JSONValue? {
        guard record.status == .processed, let result = record.result else { return nil }
        let value: [String: JSONValue] = [
            "href": .string(href),
            "file:size": .number(Double(result.contentLength)),
            "type": .string(result.contentType.isEmpty ? "application/octet-stream" : result.contentType),
        ]
        return .object(["asset": .object(["value": .object(value)])])
    }

    /// A link object, as the OGC API fronts (Processes and EDR) write them.
    package static func link(_ href: String, rel: String, title: String? = nil, type: String = "application/json") -> JSONValue {
        var link: [String: JSONValue] = ["href": .string(href), "rel": .string(rel), "type": .string(type)]
        if let title { link["title"] = .string(title) }
        return .object(link)
    }

    /// RFC 3339 with fractional seconds, in UTC.
    package static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses a timestamp as `timestamp(_:)` writes it (with or without fractional seconds).
    package static func date(from text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
