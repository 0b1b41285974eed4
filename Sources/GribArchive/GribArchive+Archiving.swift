import Foundation
import MarsLanguage
import PolytopeCore

extension GribArchive {
    /// The most messages an error about metadata lists one by one.
    static let listedMismatchLimit = 5

    /// Archives every GRIB message of `file` and returns how many were archived.
    ///
    /// Nothing is archived unless every message can be: the file must hold only GRIB
    /// messages (at least one), each with MARS keys that normalise, and — with `metadata` —
    /// each key of the metadata that a message has must hold one of the metadata's values.
    /// The messages are copied into a new archive file (written under `tmp/`, flushed, renamed
    /// into `data/<day>/`), then indexed in one transaction; a field already archived is
    /// replaced. `file` itself is left as it is.
    /// - Throws: `GribArchiveError` naming the message at fault (`notGRIB`, `unusableKeys`,
    ///   `metadataMismatch`, `unreadableFile`) or the storage failure.
    package func archive(file: URL, expecting metadata: NormalisedRequest?) async throws -> Int {
        let now = clock.now()
        let expectation = try metadata.map { metadata throws(GribArchiveError) in try MetadataExpectation(metadata, now: now) }
        let name = "data/\(Self.dayDirectory(now))/\(UUID().uuidString.lowercased()).grib"
        let entries = try await Self.runBlocking { [self] in try copyMessages(of: file, expecting: expectation, to: name) }
        do {
            try await index.record(entries, at: now)
        } catch {
            try? FileManager.default.removeItem(at: configuration.root.appendingPathComponent(name))
            throw GribArchiveError(.storageFailure, "the archive index could not be updated: \(error)")
        }
        return entries.count
    }

    /// Checks and copies the messages of `file` into the archive file `name` (relative to the
    /// root), published only when every message passed; returns its index entries.
    func copyMessages(of file: URL, expecting expectation: MetadataExpectation?, to name: String) throws -> [ArchiveIndex.Entry] {
        let size: Int64
        do {
            size = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw GribArchiveError(.unreadableFile, "cannot read \(file.lastPathComponent): \(error.localizedDescription)")
        }
        let writer = try ArchiveFileWriter(directory: configuration.root.appendingPathComponent("tmp"))
        var published = false
        defer { if !published { writer.discard() } }
        var entries: [ArchiveIndex.Entry] = []
        var mismatches: [String] = []
        var mismatchCount = 0
        var end: Int64 = 0
        try reader.forEachMessage(in: file) { message, bytes in
            guard message.offset == end else {
                throw GribArchiveError(.notGRIB, "bytes \(end)..<\(message.offset) of the file are not a GRIB message")
            }
            end = message.end
            let key = try FieldKey.normalising(message)
            if let problems = expectation?.mismatches(key), !problems.isEmpty {
                mismatchCount += 1
                if mismatches.count < Self.listedMismatchLimit {
                    mismatches.append("\(message.position), \(key.canonical): \(problems.joined(separator: ", "))")
                }
            }
            guard mismatchCount == 0 else { return }
            entries.append(ArchiveIndex.Entry(key: key, file: name, offset: writer.length, length: message.length, layout: message.layout))
            try writer.append(bytes)
        }
        guard end == size, end > 0 else {
            let what = end == 0 ? "the file holds no GRIB message" : "bytes \(end)..<\(size) of the file are not a GRIB message"
            throw GribArchiveError(.notGRIB, what)
        }
        guard mismatchCount == 0 else {
            let more = mismatchCount > mismatches.count ? "; and \(mismatchCount - mismatches.count) more" : ""
            let noun = mismatchCount == 1 ? "message does" : "messages do"
            throw GribArchiveError(
                .metadataMismatch, "\(mismatchCount) \(noun) not match the archive request: \(mismatches.joined(separator: "; "))\(more)")
        }
        try writer.publish(at: configuration.root.appendingPathComponent(name), sync: configuration.syncWrites)
        published = true
        return entries
    }

    /// `20250101`: the UTC day of `date`, naming the directory of files archived that day.
    static func dayDirectory(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d%02d%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Runs blocking file and ecCodes work on a thread that may block, not on the
    /// concurrency pool.
    static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }
}

/// A new archive file: written under a temporary name, then flushed and renamed into place,
/// so that the archive never holds a partial file under a published name.
final class ArchiveFileWriter {
    private let temporary: URL
    private var descriptor: Int32
    /// The bytes written so far.
    private(set) var length: Int64 = 0

    init(directory: URL) throws {
        temporary = directory.appendingPathComponent("\(UUID().uuidString.lowercased()).grib.partial")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Self.failure("create", temporary) }
    }

    /// Appends `bytes` (all of them).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { throw Self.failure("write", temporary) }
            written += result
        }
        length += Int64(bytes.count)
    }

    /// Flushes (with `sync`) and closes the file, and renames it to `destination`, creating
    /// its directory; with `sync` the directory entry is flushed too.
    func publish(at destination: URL, sync: Bool) throws {
        if sync, fsync(descriptor) != 0 { throw Self.failure("flush", temporary) }
        close(descriptor)
        descriptor = -1
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw GribArchiveError(.storageFailure, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, destination.path) == 0 else { throw Self.failure("rename", temporary) }
        if sync {
            let directoryDescriptor = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { if directoryDescriptor >= 0 { close(directoryDescriptor) } }
            guard directoryDescriptor >= 0, fsync(directoryDescriptor) == 0 else { throw Self.failure("flush the directory of", destination) }
        }
    }

    /// Closes and removes the temporary file.
    func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporary.path)
    }

    private static func failure(_ action: String, _ file: URL) -> GribArchiveError {
        GribArchiveError(.storageFailure, "cannot \(action) \(file.path): \(String(cString: strerror(errno)))")
    }
}
