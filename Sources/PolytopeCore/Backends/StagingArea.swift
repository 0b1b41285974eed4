import Foundation
import NIOCore

/// Staging could not be written: the object store is unreachable or refuses, or the disk
/// failed. Not the request's fault, so a worker gives the request back to the queue instead
/// of failing it, and pauses before claiming more.
package struct StagingUnavailable: Error, CustomStringConvertible {
    /// What the staging backend reported.
    package let cause: any Error

    package init(_ cause: any Error) {
        self.cause = cause
    }

    package var description: String { "staging could not be written: \(cause)" }

    /// Runs `operation`, turning its failures (except cancellation) into `StagingUnavailable`.
    package static func mapping<T>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as StagingUnavailable {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StagingUnavailable(error)
        }
    }
}

/// Where results wait for their users to download them.
///
/// Objects are written in one go from a stream and become visible only when complete.
/// Implementations: filesystem (embedded) and S3-compatible object storage.
package protocol StagingArea: Sendable {
    /// Streams an object into staging. `produce` writes the bytes into the sink it is given;
    /// the object appears under `key` only if `produce` returns normally, and nothing is left
    /// behind if it throws.
    /// - Returns: the object's size in bytes.
    func store(key: String, contentType: String, _ produce: (any ByteSink) async throws -> Void) async throws -> Int64

    /// Size of the object, or nil if there is none.
    func size(of key: String) async throws -> Int64?

    /// Reads `range` of the object and hands it to `consume` in bounded chunks.
    func read(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws

    /// Deletes the object; deleting a missing object is not an error.
    func delete(key: String) async throws

    /// Every complete object, with its size and last change.
    func list() async throws -> [StagedObjectInfo]

    /// Throws unless an object can be written now (readiness check).
    func checkWritable() async throws

    /// Removes the traces of writes that started before `date` and never finished (a worker
    /// crashed mid-upload), where the backend keeps such traces; returns how many it removed.
    func removeAbandonedWrites(startedBefore date: Date) async throws -> Int
}

extension StagingArea {
    /// Backends whose unfinished writes vanish by themselves (the filesystem's anonymous
    /// temporary files) have nothing to remove.
    package func removeAbandonedWrites(startedBefore date: Date) async throws -> Int { 0 }
}

/// An object in staging.
package struct StagedObjectInfo: Sendable, Hashable {
    package var key: String
    package var size: Int64
    package var modifiedAt: Date

    package init(key: String, size: Int64, modifiedAt: Date) {
        self.key = key
        self.size = size
        self.modifiedAt = modifiedAt
    }
}

/// Staging keys: `<request id>.<attempt>` for results, unique per attempt so that a worker
/// that lost its lease can never overwrite or delete the object of the worker that took
/// over; `<request id>.upload-<uuid>` for the data of an archive request, unique per upload
/// so that concurrent uploads to one request never share an object (only the one the store
/// accepts is kept; each other removes its own).
package enum StagingKey {
    /// The key of a result: request and attempt.
    package static func make(id: RequestIdentifier, attempt: Int) -> String { "\(id).\(attempt)" }

    /// A new key for one upload of an archive request's data.
    package static func makeUpload(id: RequestIdentifier) -> String { "\(id).\(uploadPrefix)\(UUID().uuidString.lowercased())" }

    private static let uploadPrefix = "upload-"

    /// Whether `key` has the shape of a staging key (guards file paths and object names):
    /// a request id, a dot, and an attempt number or `upload-` with a lower-case UUID.
    package static func isValid(_ key: String) -> Bool {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, RequestIdentifier(parts[0]) != nil else { return false }
        let suffix = parts[1]
        if suffix.hasPrefix(uploadPrefix) {
            let uuid = suffix.dropFirst(uploadPrefix.count)
            return uuid == uuid.lowercased() && UUID(uuidString: String(uuid)) != nil
        }
        return !suffix.isEmpty && suffix.count <= 9 && suffix.allSatisfy { $0.isASCII && $0.isNumber }
    }
}

/// Staging whose objects clients can download directly, without the frontend in between
/// (presigned S3 URLs). The frontend then redirects a processed request's poll there.
package protocol DirectDownloadStaging: StagingArea {
    /// A URL serving the object with the given type and file name, valid for a while.
    func directDownloadURL(key: String, contentType: String, fileName: String) -> String
}

/// Staging whose objects are files on this machine. The frontend then sends a download with
/// `sendfile(2)` from the open file instead of reading it through buffers, and a worker
/// archives an upload from its file in place instead of copying it.
package protocol LocalFileStaging: StagingArea {
    /// Opens the object for reading, or returns nil if there is none. The file stays
    /// readable while open even if the object is deleted meanwhile.
    func openFile(key: String) throws -> NIOFileHandle?

    /// The file of the object, or nil if there is none, for reading in place. The caller
    /// must not change it; it is there as long as the object is.
    func fileURL(key: String) async throws -> URL?
}
