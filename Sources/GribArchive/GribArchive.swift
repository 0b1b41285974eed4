import Foundation
import MarsLanguage
import NIOCore
import PolytopeCore
import _NIOFileSystem

/// An FDB-like store of GRIB fields under one directory: the messages in files under
/// `data/`, and an index (`index.sqlite`) from each field's MARS keys to its bytes.
///
/// - `archive(file:expecting:)` checks every message of a file (and, if given, against the
///   archive request's metadata), copies them into a new archive file that is flushed and
///   renamed into place, and indexes them in one transaction. A field archived again (same
///   MARS keys) is replaced: the last archived wins.
/// - `retrievalPlan(for:)` lists the fields a request asks for, in request order, and those
///   missing; `read(_:chunkLength:into:)` streams their bytes.
///
/// Files are never rewritten, so a retrieval reading while another archive replaces its fields
/// still reads complete messages (the replaced bytes stay on disk). Any number of
/// `GribArchive`s, in one process or several, may share a root.
package final class GribArchive: Sendable {
    /// Settings of an archive.
    package struct Configuration: Sendable {
        /// The directory of the archive (created if missing).
        package var root: URL
        /// The most fields one retrieval may ask for or return.
        package var maximumFields: Int
        /// The most index lookups one retrieval may make; keys a request leaves out multiply
        /// them by the number of values the archive holds.
        package var maximumLookups: Int
        /// Whether archive files are flushed to disk (fsync) before they are indexed, so that
        /// archived fields survive a power loss.
        package var syncWrites: Bool
        /// The most bytes of fields decoded whole (packings other than simple) kept for reuse.
        package var decodedFieldCacheBytes: Int

        package init(
            root: URL, maximumFields: Int = 100_000, maximumLookups: Int = 1_000_000, syncWrites: Bool = true,
            decodedFieldCacheBytes: Int = 64 << 20
        ) {
            self.root = root
            self.maximumFields = maximumFields
            self.maximumLookups = maximumLookups
            self.syncWrites = syncWrites
            self.decodedFieldCacheBytes = decodedFieldCacheBytes
        }
    }

    package let configuration: Configuration
    let index: ArchiveIndex
    let clock: any WallClock
    let reader = GribMessageReader()
    /// Fields decoded whole for feature extraction, shared by the archive's retrievals.
    let decodedFields: DecodedFieldCache

    /// Opens (creating if needed) the archive at `configuration.root`.
    package init(configuration: Configuration, clock: any WallClock = SystemWallClock()) throws {
        let root = configuration.root.standardizedFileURL
        for directory in ["data", "tmp"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
        }
        index = try ArchiveIndex(path: root.appendingPathComponent("index.sqlite").path)
        Self.removeAbandonedFiles(in: root.appendingPathComponent("tmp"), now: clock.now())
        var configuration = configuration
        configuration.root = root
        self.configuration = configuration
        self.clock = clock
        decodedFields = DecodedFieldCache(capacityBytes: configuration.decodedFieldCacheBytes)
    }

    /// How long a file being archived may go unwritten before it counts as abandoned.
    static let abandonedAfter: TimeInterval = 3600

    /// Removes the temporary files of archives that were cut off (a process killed while
    /// writing): those in `directory` not written for `abandonedAfter`. Files other processes
    /// sharing the root are writing now are younger and stay.
    @discardableResult
    static func removeAbandonedFiles(in directory: URL, now: Date) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        var removed = 0
        for name in names where name.hasSuffix(".grib.partial") {
            let path = directory.appendingPathComponent(name).path
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
                now.timeIntervalSince(modified) > abandonedAfter, unlink(path) == 0
            else { continue }
            removed += 1
        }
        return removed
    }

    /// The number of fields in the archive.
    package func fieldCount() async throws -> Int {
        try await index.fieldCount()
    }

    /// The values the archived fields have for each of `keys` (as normalised: dates
    /// `YYYYMMDD`, `param` as ids), read from the index's catalog.
    package func archivedValues(of keys: [String]) async throws -> [String: Set<String>] {
        try await index.values(of: keys)
    }

    // MARK: Retrieval

    /// The fields `request` asks for, in request order, and the combinations the archive does
    /// not have (see `RetrievalPlan`). The request's values must be normalised as
    /// `MarsRequestNormaliser` writes them with parameters as ids (`MarsLanguageSettings.standard`).
    /// With `keep`, only the fields it keeps are planned and counted against `maximumFields`
    /// (a feature's range, say, which filters the archived values of a key the request leaves
    /// out); the lookups are bounded as without it.
    /// - Throws: `GribArchiveError.tooManyFields` when the request asks for more than
    ///   `maximumFields` fields or would need more than `maximumLookups` lookups.
    package func retrievalPlan(
        for request: NormalisedRequest, keeping keep: (@Sendable (ArchivedField) -> Bool)? = nil
    ) async throws -> RetrievalPlan {
        let planner = RetrievalPlanner(maximumFields: configuration.maximumFields, maximumLookups: configuration.maximumLookups)
        return try await index.plan(request, planner: planner, keep: keep)
    }

    /// `retrievalPlan(for:keeping:)` without suspending: for the checks of a request being
    /// submitted (one read of the index, bounded like a retrieval's).
    package func retrievalPlanNow(
        for request: NormalisedRequest, keeping keep: (@Sendable (ArchivedField) -> Bool)? = nil
    ) throws -> RetrievalPlan {
        let planner = RetrievalPlanner(maximumFields: configuration.maximumFields, maximumLookups: configuration.maximumLookups)
        return try index.planNow(request, planner: planner, keep: keep)
    }

    /// The layouts the index holds for `fields`, by key, without suspending; fields archived
    /// before layouts were recorded are absent (see `layouts(of:)`).
    package func recordedLayoutsNow(of fields: [ArchivedField]) throws -> [String: FieldLayout] {
        try index.layoutsNow(of: fields)
    }

    /// Streams the bytes of `fields`, in order, to `consume` in chunks of at most
    /// `chunkLength` bytes. Fields that follow each other in one file are read together.
    /// - Throws: `GribArchiveError.damagedArchive` when a file is missing or shorter than the
    ///   index says; errors of `consume`.
    package func read(_ fields: [ArchivedField], chunkLength: Int = 1 << 20, into consume: (ByteBuffer) async throws -> Void) async throws {
        precondition(chunkLength > 0, "chunkLength must be positive")
        for run in Self.runs(of: fields) {
            try Task.checkCancellation()
            let path = FilePath(configuration.root.appendingPathComponent(run.file).path)
            let handle: ReadFileHandle
            do {
                handle = try await FileSystem.shared.openFile(forReadingAt: path)
            } catch {
                throw GribArchiveError(.damagedArchive, "archive file \(run.file) cannot be opened: \(error)")
            }
            do {
                for range in run.ranges {
                    var received: Int64 = 0
                    for try await chunk in handle.readChunks(in: range, chunkLength: .bytes(Int64(chunkLength))) {
                        received += Int64(chunk.readableBytes)
                        try await consume(chunk)
                    }
                    guard received == range.count else {
                        throw GribArchiveError(
                            .damagedArchive, "archive file \(run.file) ends at byte \(range.lowerBound + received), before byte \(range.upperBound)")
                    }
                }
                try await handle.close()
            } catch {
                try? await handle.close()
                throw error
            }
        }
    }

    /// Consecutive fields of one file, with adjacent byte ranges merged.
    struct ReadRun: Equatable {
        var file: String
        var ranges: [Range<Int64>]
    }

    static func runs(of fields: [ArchivedField]) -> [ReadRun] {
        var runs: [ReadRun] = []
        for field in fields {
            let range = field.offset..<(field.offset + field.length)
            if runs.last?.file == field.file {
                if runs[runs.count - 1].ranges.last?.upperBound == range.lowerBound {
                    let last = runs[runs.count - 1].ranges.removeLast()
                    runs[runs.count - 1].ranges.append(last.lowerBound..<range.upperBound)
                } else {
                    runs[runs.count - 1].ranges.append(range)
                }
            } else {
                runs.append(ReadRun(file: field.file, ranges: [range]))
            }
        }
        return runs
    }
}
