import FeatureExtraction
import Foundation

extension GribArchive {
    /// The layouts of `fields`, in order.
    ///
    /// Layouts are recorded when fields are archived; a field archived before that (index
    /// v1) has its layout read from its message here, once, and recorded in the index.
    /// - Throws: `GribArchiveError.damagedArchive` when a message cannot be read.
    package func layouts(of fields: [ArchivedField]) async throws -> [FieldLayout] {
        var recorded = try await index.layouts(of: fields)
        let unrecorded = fields.filter { recorded[$0.key] == nil }
        if !unrecorded.isEmpty {
            let root = configuration.root
            let reader = reader
            let read = try await Self.runBlocking {
                let files = ArchiveFileHandles(root: root)
                defer { files.closeAll() }
                return try unrecorded.map { field in
                    let bytes = try files.read(file: field.file, offset: field.offset, length: Int(field.length))
                    let layout = try bytes.withUnsafeBytes { buffer in
                        do {
                            return try reader.layout(ofMessage: buffer)
                        } catch {
                            throw GribArchiveError(.damagedArchive, "the message of \(field.key) in \(field.file) cannot be read")
                        }
                    }
                    return (field: field, layout: layout)
                }
            }
            try? await index.recordLayouts(read)
            for (field, layout) in read { recorded[field.key] = layout }
        }
        return fields.map { recorded[$0.key]! }
    }

    /// The values at storage indices `indices` of each field (nil where the field has no
    /// value), reading only the bytes they are in for GRIB 2 simple packing and decoding the
    /// field whole with ecCodes otherwise (kept in a bounded cache).
    /// - Parameter layouts: the fields' layouts (`layouts(of:)`), in the same order.
    /// - Throws: `GribArchiveError.damagedArchive` when a file is shorter than the index says
    ///   or a message cannot be decoded; `SimplePackingError` when packed bytes do not fit.
    package func values(at indices: [Int], of fields: [ArchivedField], layouts: [FieldLayout]) async throws -> [[Double?]] {
        precondition(fields.count == layouts.count, "one layout per field")
        let root = configuration.root
        let reader = reader
        let cache = decodedFields
        return try await Self.runBlocking {
            let files = ArchiveFileHandles(root: root)
            defer { files.closeAll() }
            return try zip(fields, layouts).map { field, layout in
                if let section = layout.simplePacked {
                    return try Self.simplePackedValues(
                        at: indices, of: field, section: section, pointCount: layout.grid?.numberOfDataPoints, files: files)
                }
                let cacheKey = "\(field.file)@\(field.offset)"
                let all: [Double]
                if let cached = cache.values(for: cacheKey) {
                    all = cached
                } else {
                    let bytes = try files.read(file: field.file, offset: field.offset, length: Int(field.length))
                    all = try bytes.withUnsafeBytes { buffer in
                        do {
                            return try reader.decodedValues(ofMessage: buffer)
                        } catch {
                            throw GribArchiveError(.damagedArchive, "the values of \(field.key) in \(field.file) cannot be decoded")
                        }
                    }
                    cache.insert(all, for: cacheKey)
                }
                return try indices.map { index in
                    guard all.indices.contains(index) else {
                        throw GribArchiveError(.damagedArchive, "\(field.key) has \(all.count) values, fewer than its grid's points")
                    }
                    return all[index].isNaN ? nil : all[index]
                }
            }
        }
    }

    /// The values at `indices` of one simple-packed field, reading its bitmap (if any) and
    /// the byte ranges the values are in.
    static func simplePackedValues(
        at indices: [Int], of field: ArchivedField, section: SimplePackedSection, pointCount: Int?, files: ArchiveFileHandles
    ) throws -> [Double?] {
        var bitmap: BitmapIndex?
        if let bitmapOffset = section.bitmapOffset {
            guard let pointCount else { throw GribArchiveError(.damagedArchive, "\(field.key) has a bitmap but no grid") }
            let range = BitmapIndex.byteRange(pointCount: pointCount)
            let bytes = try files.read(
                file: field.file, offset: field.offset + bitmapOffset + Int64(range.offset), length: range.length)
            bitmap = try BitmapIndex(bytes: bytes, pointCount: pointCount)
        }
        let plan = try PackedValueReadPlan(packing: section.packing, pointIndices: indices, bitmap: bitmap)
        let chunks = try plan.ranges.map { range in
            guard Int64(range.end) <= section.valuesLength else {
                throw GribArchiveError(.damagedArchive, "\(field.key): packed values beyond its data section")
            }
            return try files.read(file: field.file, offset: field.offset + section.valuesOffset + Int64(range.offset), length: range.length)
        }
        return try plan.decode(chunks: chunks)
    }
}

/// The archive files one batch of reads opens, each opened once and read with `pread`.
final class ArchiveFileHandles {
    private let root: URL
    private var descriptors: [String: Int32] = [:]

    init(root: URL) {
        self.root = root
    }

    /// Exactly `length` bytes of `file` (relative to the root) from `offset`.
    /// - Throws: `GribArchiveError.damagedArchive` when the file cannot be opened or is shorter.
    func read(file: String, offset: Int64, length: Int) throws -> [UInt8] {
        let descriptor = try descriptor(for: file)
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset) + off_t(done))
            }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                throw GribArchiveError(.damagedArchive, "archive file \(file) ends before byte \(offset + Int64(length))")
            }
            done += count
        }
        return bytes
    }

    private func descriptor(for file: String) throws -> Int32 {
        if let descriptor = descriptors[file] { return descriptor }
        let descriptor = open(root.appendingPathComponent(file).path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw GribArchiveError(.damagedArchive, "archive file \(file) cannot be opened: \(String(cString: strerror(errno)))")
        }
        descriptors[file] = descriptor
        return descriptor
    }

    func closeAll() {
        for descriptor in descriptors.values { close(descriptor) }
        descriptors = [:]
    }
}
