import Foundation
import GribArchive
import MarsLanguage
import NIOCore
import PolytopeCore
import PolytopeTestSupport

/// A MARS request (`date=20250101/20250102, param=2t, step=0/to/12/by/6`) normalised as a
/// collection with `language: mars` does.
func normalised(_ text: String) throws -> NormalisedRequest {
    try MarsRequestNormaliser().normalise(try RequestTextParser().parse(text), now: Date())
}

/// The bytes of `fields` read from `archive`, and the length of each chunk.
func readAll(_ fields: [ArchivedField], from archive: GribArchive, chunkLength: Int = 1 << 20) async throws -> (bytes: [UInt8], chunks: [Int]) {
    var bytes: [UInt8] = []
    var chunks: [Int] = []
    try await archive.read(fields, chunkLength: chunkLength) { chunk in
        bytes += chunk.readableBytesView
        chunks.append(chunk.readableBytes)
    }
    return (bytes, chunks)
}
