import Synchronization

/// Fields decoded whole by ecCodes (packings that cannot be read value by value), kept for
/// the next request that needs them, within a bound on the bytes held.
///
/// Least recently used fields are dropped first; a field larger than the whole bound is not
/// kept. Safe to share between tasks.
package final class DecodedFieldCache: Sendable {
    /// The most bytes of values held (8 bytes a value).
    package let capacityBytes: Int

    private struct State {
        var entries: [String: (values: [Double], lastUse: UInt64)] = [:]
        var heldBytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())

    package init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    /// The values cached under `key`, marking them used.
    package func values(for key: String) -> [Double]? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            state.clock += 1
            state.entries[key] = (entry.values, state.clock)
            return entry.values
        }
    }

    /// Keeps `values` under `key`, dropping the least recently used fields to stay in bounds.
    package func insert(_ values: [Double], for key: String) {
        let bytes = values.count * MemoryLayout<Double>.stride
        guard bytes <= capacityBytes else { return }
        state.withLock { state in
            if let old = state.entries.removeValue(forKey: key) { state.heldBytes -= old.values.count * MemoryLayout<Double>.stride }
            while state.heldBytes + bytes > capacityBytes,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.entries[oldest.key] = nil
                state.heldBytes -= oldest.value.values.count * MemoryLayout<Double>.stride
            }
            state.clock += 1
            state.entries[key] = (values, state.clock)
            state.heldBytes += bytes
        }
    }

    /// The number of fields held.
    package var count: Int { state.withLock { $0.entries.count } }
}
