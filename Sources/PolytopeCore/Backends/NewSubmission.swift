import Foundation

/// A new request as the frontend records it, with what must be checked in the same step as
/// its insert (`FrontendStore.record(_:)`): its idempotency key, an earlier result that
/// answers it, and the user's waiting limit.
package struct NewSubmission: Sendable {
    /// The request as submitted: waiting, or uploading (an archive request awaiting its data).
    package var record: RequestRecord
    /// The client's `Idempotency-Key`, if it sent one.
    package var idempotencyKey: IdempotencyKey?
    /// With the collection's `reuse-results`, how the request is recorded if an earlier result
    /// answers it.
    package var reuse: ResultReuse?
    /// The collection's `max-waiting-per-user`, if it has one.
    package var admittingUpTo: Int?

    package init(_ record: RequestRecord, idempotencyKey: IdempotencyKey? = nil, reuse: ResultReuse? = nil, admittingUpTo: Int? = nil) {
        self.record = record
        self.idempotencyKey = idempotencyKey
        self.reuse = reuse
        self.admittingUpTo = admittingUpTo
    }

    /// Keys recorded before this no longer count (`IdempotencyKey.window`).
    package var keysRecordedSince: Date { IdempotencyKey.oldestCounted(at: record.createdAt) }
}

/// How a retrieval is answered from the staged result of an earlier identical one (a
/// collection's `reuse-results`).
package struct ResultReuse: Sendable {
    /// Only results that finished after this are reused.
    package var since: Date
    /// The request as recorded when a result answers it: processed, saying where its result
    /// comes from. The store adds the result, and the result's age as the request's own.
    package var answered: RequestRecord

    package init(since: Date, answered: RequestRecord) {
        self.since = since
        self.answered = answered
    }

    /// The reuse a collection with `reuse-results: window` offers `record`; nil unless it is a
    /// waiting retrieval whose datasource's results serve identical requests.
    package init?(of record: RequestRecord, window: Duration?, datasource: (any Datasource)?) {
        guard let window, record.verb == .retrieve, record.status == .waiting, datasource?.resultsServeIdenticalRequests == true else {
            return nil
        }
        var answered = record
        answered.status = .processed
        answered.statusHistory.append(StatusChange(status: .processed, at: record.createdAt))
        answered.userMessage =
            "Answered from the staged result of an identical request (collection \(record.collection) reuses results up to "
            + "\(Int(window.timeInterval.rounded())) s old)."
        self.init(since: record.createdAt.addingTimeInterval(-window.timeInterval), answered: answered)
    }

    /// The request as recorded when `result`, of a request that finished at `finishedAt`,
    /// answers it: sharing the result, and as old as it, so that it expires with the result
    /// and never makes it look younger. What that request was told (`sourceMessage`: fields
    /// left out of a partial result) is told again.
    package func answered(sharing result: StagedResult, finishedAt: Date, sourceMessage: String = "") -> RequestRecord {
        var record = answered
        if !sourceMessage.isEmpty { record.userMessage += "\n" + sourceMessage }
        record.result = result
        record.stagedBytes = result.contentLength
        record.updatedAt = finishedAt
        return record
    }
}

/// What `FrontendStore.record(_:)` did with a submission.
package enum SubmissionOutcome: Sendable, Hashable {
    /// Recorded as submitted.
    case recorded
    /// Recorded as processed, with the result of the request `source`.
    case reused(source: RequestIdentifier)
    /// Nothing recorded: the user submitted under the same key before, as this request.
    case repeated(IdempotentSubmission)
    /// Nothing recorded: the user already has `admittingUpTo` requests waiting or uploading in
    /// the collection.
    case refused
}
