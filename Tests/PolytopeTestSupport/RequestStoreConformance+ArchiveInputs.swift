import Foundation
import PolytopeCore

extension RequestStoreConformance {
    /// An archive request that waits for its upload, in `uploading`.
    static func uploadingArchiveRequest(at date: Date = t0) -> RequestRecord {
        var record = Fixtures.record(at: date)
        record.verb = .archive
        record.status = .uploading
        record.statusHistory = [StatusChange(status: .uploading, at: date)]
        return record
    }

    static func upload(of record: RequestRecord, length: Int64 = 42) -> StagedResult {
        StagedResult(key: StagingKey.makeUpload(id: record.id), contentType: "application/x-grib", contentLength: length)
    }

    /// The uploaded data of archive requests: kept in its own field, referenced until
    /// archived, reported when the request goes without archiving it.
    static let archiveInputChecks: [Check] = [
        Check(description: "an archive request waits for its upload, then for the broker") { store in
            let record = uploadingArchiveRequest()
            try await store.insert(record)
            try expect(try await allWaiting(store).isEmpty, "not dispatched while uploading")
            let upload = upload(of: record)
            try expect(try await store.markUploaded(id: record.id, upload: upload, at: t0 + 1), "uploaded")
            let waiting = try await store.request(id: record.id)
            try expect(waiting?.status == .waiting && waiting?.verb == .archive, "waiting")
            try expect(
                waiting?.archiveInput == upload && waiting?.result == nil, "the upload is the input, not a result: \(String(describing: waiting))")
            try expect(waiting?.statusHistory.map(\.status) == [.uploading, .waiting], "history")
            try expect(try await allWaiting(store).map(\.id) == [record.id], "dispatched now")
            let other = StagedResult(key: StagingKey.makeUpload(id: record.id), contentType: "x", contentLength: 1)
            try expect(!(try await store.markUploaded(id: record.id, upload: other, at: t0 + 2)), "only once")
            try expect(try await store.request(id: record.id)?.archiveInput == upload, "the first upload stays")
            try expect(!(try await store.markUploaded(id: RequestIdentifier(), upload: upload, at: t0 + 2)), "unknown id")
            let revoked = try await store.revoke(id: record.id, ofUser: "alice", at: t0 + 3)
            try expect(revoked?.orphanedArchiveInput == upload && revoked?.orphanedObjects == [upload], "revoking reports the upload for removal")
        },
        Check(description: "of concurrent uploads to one request, exactly one is accepted") { store in
            let record = uploadingArchiveRequest()
            try await store.insert(record)
            let uploads = (0..<8).map { _ in upload(of: record) }
            let accepted = try await withThrowingTaskGroup(of: StagedResult?.self) { group in
                for upload in uploads {
                    group.addTask { try await store.markUploaded(id: record.id, upload: upload, at: t0 + 1) ? upload : nil }
                }
                return try await group.reduce(into: [StagedResult]()) { if let upload = $1 { $0.append(upload) } }
            }
            try expect(accepted.count == 1, "accepted: \(accepted.count)")
            try expect(try await store.request(id: record.id)?.archiveInput == accepted.first, "the accepted one is the input")
        },
        Check(description: "an archive input is referenced until archived, then forgotten") { store in
            let record = uploadingArchiveRequest()
            try await store.insert(record)
            let upload = upload(of: record)
            _ = try await store.markUploaded(id: record.id, upload: upload, at: t0)
            try expect(try await store.referencedStagingKeys(among: [upload.key, "nope"]) == [upload.key], "referenced while waiting")
            _ = try await store.markQueued([record.id], at: t0)
            let claimed = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
            try expect(claimed?.archiveInput == upload, "the worker sees the input")
            try expect(try await store.finish(id: record.id, worker: "w", outcome: .archived(message: "Archived."), at: t0 + 1) == .recorded, "done")
            let archived = try await store.request(id: record.id)
            try expect(
                archived?.status == .processed && archived?.archiveInput == nil && archived?.result == nil,
                "forgotten: \(String(describing: archived))")
            try expect(try await store.referencedStagingKeys(among: [upload.key]).isEmpty, "no longer referenced")
        },
        Check(description: "a failed archive request keeps its input until retention purges it, and reports it") { store in
            var uploads: [StagedResult] = []
            var records: [RequestRecord] = []
            for index in 0..<2 {
                let record = uploadingArchiveRequest(at: t0 + Double(index))
                try await store.insert(record)
                let upload = upload(of: record, length: 100)
                _ = try await store.markUploaded(id: record.id, upload: upload, at: t0)
                _ = try await store.markQueued([record.id], at: t0)
                _ = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
                _ = try await store.finish(id: record.id, worker: "w", outcome: .failed(message: "bad data"), at: t0 + Double(index))
                uploads.append(upload)
                records.append(record)
            }
            try expect(try await store.request(id: records[0].id)?.archiveInput == uploads[0], "kept after failing")
            try expect(try await store.referencedStagingKeys(among: uploads.map(\.key)) == Set(uploads.map(\.key)), "still referenced")
            let evicted = try await store.purgeOldestResults(freeing: 50, limit: 10, at: t0 + 100)
            try expect(evicted.map(\.id) == [records[0].id], "the oldest input relieves staging: \(evicted)")
            try expect(evicted.first?.archiveInput == uploads[0] && evicted.first?.stagedObjects == [uploads[0]], "reported for removal")
            let expired = try await store.purgeFinishedRequests(before: t0 + 10, limit: 10, at: t0 + 100)
            try expect(expired.map(\.archiveInput) == [uploads[1]], "expiry reports the input too: \(expired)")
        },
        Check(description: "archive requests whose data never came are failed by age, with a message") { store in
            let old = uploadingArchiveRequest(at: t0)
            var young = old
            young.id = RequestIdentifier()
            young.createdAt = t0 + 100
            let retrieve = Fixtures.record(at: t0)
            try await store.insert(old)
            try await store.insert(young)
            try await store.insert(retrieve)
            try expect(try await store.failAbandonedUploads(createdBefore: t0 + 50, message: "gave up", at: t0 + 200) == 1, "one")
            let failed = try await store.request(id: old.id)
            try expect(failed?.status == .failed && failed?.userMessage == "gave up", "failed with the message")
            try expect(failed?.statusHistory.map(\.status) == [.uploading, .failed] && failed?.updatedAt == t0 + 200, "history")
            try expect(try await store.request(id: young.id)?.status == .uploading, "a younger one waits on")
            try expect(try await store.request(id: retrieve.id)?.status == .waiting, "other requests untouched")
            try expect(!(try await store.markUploaded(id: old.id, upload: upload(of: old), at: t0 + 201)), "a late upload is refused")
            try expect(try await store.failAbandonedUploads(createdBefore: t0 + 50, message: "gave up", at: t0 + 300) == 0, "once")
        },
        Check(description: "an archive request with a source URL keeps it, and ends processed without a result") { store in
            var record = Fixtures.record()
            record.verb = .archive
            record.sourceURL = "https://data.example.int/incoming/fields.grib"
            try await store.insert(record)
            try expect(try await store.request(id: record.id)?.sourceURL == record.sourceURL, "the URL reads back")
            _ = try await store.markQueued([record.id], at: t0)
            let claimed = try await store.claimNextRequest(worker: "w", leaseExpiry: t0 + 30, at: t0)
            try expect(claimed?.sourceURL == record.sourceURL && claimed?.archiveInput == nil, "the worker sees the URL")
            let outcome = try await store.finish(id: record.id, worker: "w", outcome: .archived(message: "Archived 2 fields."), at: t0 + 1)
            try expect(outcome == .recorded, "recorded")
            let archived = try await store.request(id: record.id)
            try expect(archived?.status == .processed && archived?.result == nil, "processed, nothing to download")
            try expect(archived?.userMessage == "Archived 2 fields.", "the message")
            try expect(try await store.request(id: Fixtures.record().id)?.sourceURL == nil, "absent by default")
        },
    ]
}
