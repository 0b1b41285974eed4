import Foundation
import GRDB
import PolytopeCore
import Synchronization

/// Watches the SQLite store's disk: SQLite's "database or disk is full" becomes `DiskFull`
/// (HTTP 503 with `Retry-After` instead of a 500), and is remembered for the readiness check
/// until the file system has room again.
///
/// A successful write does not end it: on a full disk, small writes still fit into pages
/// the write-ahead log already has while new requests do not. Recovery needs no restart:
/// the readiness check clears the state once the file system reports `minimumFreeBytes`
/// free, so a load balancer that stopped sending traffic starts again by itself.
final class SQLiteDiskSpace: Sendable {
    /// The database file.
    let path: String
    /// Free bytes below which a disk that filled up is still taken as full.
    let minimumFreeBytes: Int64
    /// Bytes the store's file system has free (nil if unknown).
    let freeBytes: @Sendable () -> Int64?
    private let full = Mutex(false)

    init(path: String, minimumFreeBytes: Int64 = 1 << 20, freeBytes: (@Sendable () -> Int64?)? = nil) {
        self.path = path
        self.minimumFreeBytes = minimumFreeBytes
        self.freeBytes = freeBytes ?? { Self.freeBytes(beside: path) }
    }

    /// Runs a write.
    func write<T>(_ body: () async throws -> T) async throws -> T {
        try await watch(body)
    }

    /// Runs a read (sorting may need temporary space too).
    func read<T>(_ body: () async throws -> T) async throws -> T {
        try await watch(body)
    }

    private func watch<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where Self.isDiskFull(error) {
            full.withLock { $0 = true }
            throw DiskFull(what: "request store", path: path).polytopeError
        }
    }

    /// Whether SQLite said the disk is full (`SQLITE_FULL`, or an I/O error extending the
    /// shared-memory file, which is how a full disk shows in WAL mode).
    static func isDiskFull(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_FULL || error.extendedResultCode == .SQLITE_IOERR_SHMSIZE
    }

    /// Throws `DiskFull` while the disk is full: a write failed for want of space, and the
    /// file system has had less than `minimumFreeBytes` free since.
    func check() throws {
        guard full.withLock({ $0 }) else { return }
        if let free = freeBytes(), free >= minimumFreeBytes {
            full.withLock { $0 = false }
            return
        }
        throw DiskFull(what: "request store", path: path).polytopeError
    }

    /// Bytes an unprivileged process may still write on the file system of `path`.
    static func freeBytes(beside path: String) -> Int64? {
        var status = statvfs()
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard statvfs(directory, &status) == 0 else { return nil }
        return Int64(status.f_bavail) * Int64(status.f_frsize)
    }
}
