import NIOCore
import PolytopeCore

extension HTTPDatasource {
    /// The largest index file read.
    static let indexSizeLimit = 64 << 20

    /// Reads the index of every data file, then fetches the requested fields' bytes with
    /// range requests (adjacent fields merged, at most `maxConcurrent` in flight) and writes
    /// them in request order. With `missing: fail`, a missing field fails the request before
    /// any data is fetched.
    func retrieveOpenData(
        _ prepared: PreparedRequest, into output: some ByteSink, tellUser: (@Sendable (String) async -> Void)? = nil
    ) async throws {
        let files = dataFiles(prepared)
        let selection = prepared.selection
        let normaliser = normaliser
        let client = client
        var fields: [ByteRangePlan.Field] = []
        try await Self.forEachInOrder(files.indices, maxConcurrent: configuration.maxConcurrent) { fileIndex -> [ByteRangePlan.Field] in
            let file = files[fileIndex]
            guard let buffer = try await client.collect(indexURL(of: file, prepared), limit: Self.indexSizeLimit) else { return [] }
            let index = try OpenDataIndex(parsing: buffer, url: indexURL(of: file, prepared))
            let urlPositions = prepared.urlSelection.positions(file.urlOrdinals[0])
            var positions: [Int: Int] = [:]
            for (urlKeyIndex, keyIndex) in prepared.urlKeyIndices.enumerated() { positions[keyIndex] = urlPositions[urlKeyIndex] }
            var canonical = IndexValueCanonicaliser(normaliser: normaliser, now: prepared.now)
            return index.fields(of: selection, urlPositions: positions, canonical: &canonical).map {
                ByteRangePlan.Field(ordinal: $0.ordinal, file: fileIndex, offset: $0.entry.offset, length: $0.entry.length)
            }
        } deliver: { _, matched in
            fields += matched
        }

        var found = [Bool](repeating: false, count: selection.count)
        for field in fields { found[field.ordinal] = true }
        let missing = found.indices.filter { !found[$0] }
        if !missing.isEmpty, configuration.missing == .fail || missing.count == selection.count {
            throw PolytopeError(.notFound, selection.missingMessage(missing))
        }
        if !missing.isEmpty {
            await tellUser?("Left out: " + selection.missingMessage(missing))
        }

        let parts = ByteRangePlan(fields: fields, partLength: partLength).parts
        let skipsMissing = configuration.missing == .skip
        try await Self.forEachInOrder(parts.indices, maxConcurrent: configuration.maxConcurrent) { partIndex -> ByteBuffer in
            let part = parts[partIndex]
            var buffer = ByteBuffer()
            buffer.reserveCapacity(part.range.count)
            let outcome = try await client.get(files[part.file].url, range: part.range) { buffer.writeImmutableBuffer($0) }
            if outcome == .notFound, !skipsMissing {
                throw PolytopeError(.notFound, selection.missingMessage(part.ordinals))
            }
            return buffer
        } deliver: { _, buffer in
            try await Self.write(buffer, to: output)
        }
    }

    /// Runs `produce` for each index with at most `maxConcurrent` running or waiting for
    /// their turn, and hands the results to `deliver` in index order. Memory holds at most
    /// `maxConcurrent` results at once.
    static func forEachInOrder<Value: Sendable>(
        _ indices: Range<Int>, maxConcurrent: Int, produce: @escaping @Sendable (Int) async throws -> Value,
        deliver: (Int, Value) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Value).self) { group in
            var launched = indices.lowerBound
            var next = indices.lowerBound
            var ready: [Int: Value] = [:]
            while next < indices.upperBound {
                while launched < indices.upperBound, launched - next < max(maxConcurrent, 1) {
                    let index = launched
                    group.addTask { (index, try await produce(index)) }
                    launched += 1
                }
                guard let (index, result) = try await group.next() else { break }
                ready[index] = result
                while let result = ready.removeValue(forKey: next) {
                    try await deliver(next, result)
                    next += 1
                }
            }
        }
    }
}
