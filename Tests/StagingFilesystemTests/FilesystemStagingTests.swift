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

    @Test("conformance", arguments: StagingConformance.checks)
    func conformance(_ check: StagingConformance.Check) async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        try await check.run { staging }
    }

    @Test("a failed producer leaves no temporary file")
    func failedProducerLeavesNoFile() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        await #expect(throws: ProducerFailed.self) {
            _ = try await staging.store(key: StagingKey.make(id: RequestIdentifier(), attempt: 1), contentType: "x") { sink in
                try await sink.write(ByteBuffer(repeating: 1, count: 1 << 20))
                throw ProducerFailed()
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.file("staging"))
        #expect(files.isEmpty, "left behind: \(files)")
    }

    @Test("temporary files a crash left (file systems without O_TMPFILE) go once old; fresh ones and objects stay")
    func abandonedTemporaryFiles() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        let key = StagingKey.make(id: RequestIdentifier(), attempt: 1)
        _ = try await staging.store(key: key, contentType: "x") { try await $0.write(ByteBuffer(string: "kept")) }
        let root = directory.file("staging")
        for name in [".tmp-abc123", ".tmp-def456"] {
            #expect(FileManager.default.createFile(atPath: root + "/" + name, contents: Data("partial".utf8)))
        }
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: root + "/.tmp-abc123")
        #expect(try await staging.removeAbandonedWrites(startedBefore: Date().addingTimeInterval(-3600)) == 1)
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: root)) == [key, ".tmp-def456"])
    }

    @Test("a staging directory that cannot be written makes writes fail as `StagingUnavailable`")
    func unavailable() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let staging = try FilesystemStaging(configuration: .init(root: directory.file("staging")))
        // Replace the directory by a file: even root cannot create files inside it.
        try FileManager.default.removeItem(atPath: directory.file("staging"))
        FileManager.default.createFile(atPath: directory.file("staging"), contents: Data())
        await #expect(throws: StagingUnavailable.self) {
            _ = try await staging.store(key: StagingKey.make(id: RequestIdentifier(), attempt: 1), contentType: "x") { sink in
                try await sink.write(ByteBuffer(string: "abc"))
            }
        }
    }

    @Test("readiness fails on a read-only directory")
    func readOnly() async throws {
        let (staging, directory) = try makeStaging()
        defer { directory.remove() }
        try await staging.checkWritable()
        if getuid() != 0 {
            try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: directory.file("staging"))
            await #expect(throws: (any Error).self) { try await staging.checkWritable() }
        }
    }
}
