import Foundation
import NIOCore
import PolytopeCore
import _NIOFileSystem

/// Staging in a local directory: one file per object, named by its staging key.
///
/// Files are created transactionally (written to an anonymous temporary file and linked into
/// place when complete), so a reader or the garbage collector never sees a partial object,
/// and a crash mid-write leaves nothing behind (where the file system lacks anonymous
/// temporary files, a `.tmp-` file that `removeAbandonedWrites` removes).
package struct FilesystemStaging: LocalFileStaging {
    /// Settings of filesystem staging.
    package struct Configuration: Sendable {
        /// The directory holding staged objects (created if missing).
        package var root: String
        /// Whether each object is flushed to disk (fsync) before it is published; needed for
        /// results to survive a power loss, not a process crash.
        package var syncWrites: Bool

        package init(root: String, syncWrites: Bool = false) {
            self.root = root
            self.syncWrites = syncWrites
        }
    }

    package let configuration: Configuration
    private let fileSystem = FileSystem.shared
    /// Bytes read from disk per chunk when serving an object.
    static let readChunkLength = ByteCount.mebibytes(1)

    package init(configuration: Configuration) throws {
        self.configuration = configuration
        try FileManager.default.createDirectory(atPath: configuration.root, withIntermediateDirectories: true)
    }

    package func store(key: String, contentType: String, _ produce: (any ByteSink) async throws -> Void) async throws -> Int64 {
        let path = try self.path(for: key)
        do {
            return try await fileSystem.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: true)) { handle in
                let sink = FileSink(handle: handle, root: configuration.root)
                do {
                    try await produce(sink)  // the sink's own failures are StagingUnavailable already
                } catch {
                    throw ProducerFailure(error: error)
                }
                try await sink.flush()
                if configuration.syncWrites { try await handle.synchronize() }
                return sink.offset
            }
        } catch let failure as ProducerFailure {
            throw failure.error
        } catch is CancellationError {
            throw CancellationError()
        } catch let full as StagingFull {
            throw full
        } catch  where OutOfSpace.matches(error) {
            throw StagingFull(bytesWritten: 0, bytesFree: OutOfSpace.freeBytes(at: configuration.root))
        } catch {
            throw StagingUnavailable(error)  // opening, flushing or syncing the file failed
        }
    }

    package func size(of key: String) async throws -> Int64? {
        try await fileSystem.info(forFileAt: path(for: key))?.size
    }

    package func openFile(key: String) throws -> NIOFileHandle? {
        do {
            // NIO's file regions (sendfile) take only this older file handle type.
            return try NIOFileHandle(_deprecatedPath: path(for: key).string)
        } catch let error as IOError where error.errnoCode == ENOENT {
            return nil
        }
    }

    package func fileURL(key: String) async throws -> URL? {
        let path = try path(for: key)
        guard try await fileSystem.info(forFileAt: path) != nil else { return nil }
        return URL(fileURLWithPath: path.string)
    }

    package func read(key: String, range: Range<Int64>, _ consume: (ByteBuffer) async throws -> Void) async throws {
        guard !range.isEmpty else { return }
        try await fileSystem.withFileHandle(forReadingAt: path(for: key)) { handle in
            for try await chunk in handle.readChunks(in: range, chunkLength: Self.readChunkLength) {
                try await consume(chunk)
            }
        }
    }

    package func delete(key: String) async throws {
        try await fileSystem.removeItem(at: path(for: key), strategy: .platformDefault, recursively: false)
    }

    package func list() async throws -> [StagedObjectInfo] {
        var objects: [StagedObjectInfo] = []
        try await fileSystem.withDirectoryHandle(atPath: FilePath(configuration.root)) { directory in
            for try await batch in directory.listContents().batched() {
                for entry in batch where entry.type == .regular && StagingKey.isValid(entry.name.string) {
                    guard let info = try await fileSystem.info(forFileAt: entry.path) else { continue }
                    let modified = info.lastDataModificationTime
                    objects.append(
                        StagedObjectInfo(
                            key: entry.name.string,
                            size: info.size,
                            modifiedAt: Date(timeIntervalSince1970: Double(modified.seconds) + Double(modified.nanoseconds) / 1e9)
                        )
                    )
                }
            }
        }
        return objects
    }

    /// Where the file system has no anonymous temporary files (`O_TMPFILE`: NFS, some
    /// overlay mounts), objects are written to `.tmp-XXXXXX` files and renamed when complete;
    /// a crash mid-write leaves one behind. Removes those not written to since `date`.
    package func removeAbandonedWrites(startedBefore date: Date) async throws -> Int {
        var removed = 0
        try await fileSystem.withDirectoryHandle(atPath: FilePath(configuration.root)) { directory in
            for try await batch in directory.listContents().batched() {
                for entry in batch where entry.type == .regular && entry.name.string.hasPrefix(".tmp-") {
                    guard let info = try await fileSystem.info(forFileAt: entry.path) else { continue }
                    let modified = info.lastDataModificationTime
                    guard Double(modified.seconds) + Double(modified.nanoseconds) / 1e9 < date.timeIntervalSince1970 else { continue }
                    removed += try await fileSystem.removeItem(at: entry.path, strategy: .platformDefault, recursively: false)
                }
            }
        }
        return removed
    }

    package func checkWritable() async throws {
        let probe = FilePath(configuration.root).appending(".ready-probe-\(UUID().uuidString)")
        try await fileSystem.withFileHandle(forWritingAt: probe, options: .newFile(replaceExisting: true)) { handle in
            _ = try await handle.write(contentsOf: ByteBuffer(string: "ok"), toAbsoluteOffset: 0)
        }
        try await fileSystem.removeItem(at: probe, strategy: .platformDefault, recursively: false)
    }

    private func path(for key: String) throws -> FilePath {
        guard StagingKey.isValid(key) else {
            throw PolytopeError(.internalError, "invalid staging key '\(key)'")
        }
        return FilePath(configuration.root).appending(key)
    }
}

/// An error of the producer (the datasource), passed through `store` unchanged.
private struct ProducerFailure: Error {
    let error: any Error
}

/// Writes a stream of buffers at increasing offsets, coalescing small writes.
private final class FileSink: ByteSink {
    let handle: WriteFileHandle
    /// The staging directory, whose free space a `StagingFull` reports.
    let root: String
    private(set) var offset: Int64 = 0
    private var pending = ByteBuffer()
    private static let coalesceLimit = 256 * 1024

    init(handle: WriteFileHandle, root: String) {
        self.handle = handle
        self.root = root
    }

    func write(_ buffer: ByteBuffer) async throws {
        if pending.readableBytes == 0 && buffer.readableBytes >= Self.coalesceLimit {
            try await writeNow(buffer)
            return
        }
        var buffer = buffer
        pending.writeBuffer(&buffer)
        if pending.readableBytes >= Self.coalesceLimit { try await flush() }
    }

    func flush() async throws {
        guard pending.readableBytes > 0 else { return }
        let buffer = pending
        pending = ByteBuffer()
        try await writeNow(buffer)
    }

    private func writeNow(_ buffer: ByteBuffer) async throws {
        let count = Int64(buffer.readableBytes)
        do {
            _ = try await handle.write(contentsOf: buffer, toAbsoluteOffset: offset)
        } catch is CancellationError {
            throw CancellationError()
        } catch  where OutOfSpace.matches(error) {
            throw StagingFull(bytesWritten: offset + count, bytesFree: OutOfSpace.freeBytes(at: root))
        } catch {
            throw StagingUnavailable(error)
        }
        offset += count
    }
}

/// Recognises a full disk (or quota) among file-system errors.
enum OutOfSpace {
    static func matches(_ error: any Error) -> Bool {
        switch error {
        case let error as FileSystemError:
            if let call = error.cause as? FileSystemError.SystemCallError { return [ENOSPC, EDQUOT].contains(call.errno.rawValue) }
            return error.cause.map(matches) ?? false
        case let error as IOError:
            return [ENOSPC, EDQUOT].contains(error.errnoCode)
        case let error as StagingUnavailable:
            return matches(error.cause)
        default:
            return false
        }
    }

    /// Bytes an unprivileged process can still write at `path`, or nil.
    static func freeBytes(at path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
