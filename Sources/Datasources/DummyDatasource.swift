import NIOCore
import PolytopeCore

/// Returns N bytes, N from the request key `size` (or a bare integer request, as the
/// reference server accepts). Used to test transfers of any size.
package struct DummyDatasource: Datasource {
    /// The largest result this datasource will produce.
    package var maximumSize: Int64
    /// Bytes per second to produce at most, simulating a slow archive; nil for full speed.
    package var bytesPerSecond: Int64?
    /// Bytes produced per write.
    static let chunkLength = 1 << 20

    package init(maximumSize: Int64, bytesPerSecond: Int64? = nil) {
        self.maximumSize = maximumSize
        self.bytesPerSecond = bytesPerSecond
    }

    package func rejection(of request: DatasourceRequest) -> String? {
        switch size(of: request.document) {
        case .success(let size) where size > maximumSize:
            return "size \(size) is larger than the maximum of \(maximumSize) bytes"
        case .success:
            return nil
        case .failure(let reason):
            return reason.message
        }
    }

    package func contentType(for request: DatasourceRequest) -> String { "application/x-grib" }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let size = try size(of: request.document).get()
        let chunkLength = Int(min(Int64(Self.chunkLength), max(1, (bytesPerSecond ?? Int64(Self.chunkLength)) / 10)))
        let chunk = ByteBuffer(repeating: UInt8(ascii: "x"), count: chunkLength)
        let start = ContinuousClock.now
        var written: Int64 = 0
        while written < size {
            try Task.checkCancellation()
            let length = Int(min(Int64(chunkLength), size - written))
            try await output.write(length == chunk.readableBytes ? chunk : chunk.getSlice(at: 0, length: length)!)
            written += Int64(length)
            if let bytesPerSecond {
                let due = start + .milliseconds(written * 1000 / bytesPerSecond)
                try await Task.sleep(until: due, clock: .continuous)
            }
        }
    }

    struct Reason: Error {
        var message: String
    }

    private func size(of document: RequestDocument) -> Result<Int64, Reason> {
        let key = document["size"] != nil ? "size" : "data"
        guard let value = document[key] else {
            return .failure(Reason(message: "key 'size' is required (the number of bytes to return)"))
        }
        guard let text = document.word(key) else {
            return .failure(Reason(message: "\(key)=\(value.displayText) must be a single number of bytes"))
        }
        guard let size = Int64(text), size >= 0 else {
            return .failure(Reason(message: "\(key)=\(text) is not a number of bytes"))
        }
        return .success(size)
    }
}
