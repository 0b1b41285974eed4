import Foundation
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import StagingFilesystem
import Testing

@Suite("Filesystem staging")
struct FilesystemStagingTests {
    struct ProducerFailed: Error {}

    func makeStaging() throws -> (FilesystemStaging, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        return (try FilesystemStaging(configuration: .init(root: directory.file("staging"))), directory)
    }

    func read(_ staging: FilesystemStaging, _ key: String, _ range: Range<Int64>) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await staging.read(key: key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    @Test("a streamed object is stored whole and read back by range")
    func storeAndRead() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        let key = StagingKey.make(id: RequestID(), attempt: 1)
        let pattern = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let size = try await staging.store(key: key, contentType: "application/x-grib") { sink in
            var offset = 0
            for length in [1, 100, 1 << 20, 300_000, 1_600_000, 51_323] {
                try await sink.write(ByteBuffer(bytes: pattern[offset..<offset + length]))
                offset += length
            }
        }
        #expect(size == 3_000_000)
        #expect(try await staging.size(of: key) == 3_000_000)
        #expect(try await read(staging, key, 0..<3_000_000) == pattern)
        #expect(try await read(staging, key, 1_000_000..<1_000_010) == Array(pattern[1_000_000..<1_000_010]))
        #expect(try await read(staging, key, 5..<5).isEmpty)
        let listed = try await staging.list()
        #expect(listed.map(\.key) == [key])
        #expect(listed.first?.size == 3_000_000)
    }

    @Test("a producer that fails leaves nothing behind")
    func failedProducer() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        let key = StagingKey.make(id: RequestID(), attempt: 1)
        await #expect(throws: ProducerFailed.self) {
            _ = try await staging.store(key: key, contentType: "x") { sink in
                try await sink.write(ByteBuffer(repeating: 1, count: 1 << 20))
                throw ProducerFailed()
            }
        }
        #expect(try await staging.size(of: key) == nil)
        #expect(try await staging.list().isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("staging"))
        #expect(files.isEmpty, "left behind: \(files)")
    }

    @Test("deleting is idempotent and only valid keys reach the disk")
    func deleteAndKeys() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        let key = StagingKey.make(id: RequestID(), attempt: 2)
        _ = try await staging.store(key: key, contentType: "x") { try await $0.write(ByteBuffer(string: "abc")) }
        try await staging.delete(key: key)
        try await staging.delete(key: key)
        #expect(try await staging.size(of: key) == nil)
        await #expect(throws: PolytopeError.self) { try await staging.delete(key: "../../etc/passwd") }
        await #expect(throws: PolytopeError.self) { _ = try await staging.store(key: "x/../y", contentType: "x") { _ in } }
    }

    @Test("readiness: a writable directory passes, a read-only one fails")
    func readiness() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        try await staging.checkWritable()
        #expect(try await staging.list().isEmpty, "the probe leaves nothing")
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory.file("staging"))
            await #expect(throws: (any Error).self) { try await staging.checkWritable() }
        }
    }
}
