import Foundation
import NIOCore
import PolytopeCore

/// The behaviour every staging backend must have, written once and run against each
/// implementation (filesystem, S3) by that backend's test target:
///
/// ```swift
/// @Test(arguments: StagingConformance.checks)
/// func conformance(_ check: StagingConformance.Check) async throws {
///     try await check.run(makeStaging)
/// }
/// ```
///
/// `makeStaging` must return an empty staging area; S3 parts should be 5 MiB (the smallest
/// S3 allows), so that the 13 MB objects here span several parts.
package enum StagingConformance {
    package typealias MakeStaging = @Sendable () async throws -> any StagingArea

    /// One named check.
    package struct Check: Sendable, CustomStringConvertible {
        package let description: String
        let body: @Sendable (any StagingArea) async throws -> Void

        package func run(_ makeStaging: MakeStaging) async throws {
            try await body(try await makeStaging())
        }
    }

    struct ProducerFailed: Error {}

    /// Bytes that differ from offset to offset, so misplaced chunks are noticed.
    /// Bytes 0, 1, ..., 250, 0, 1, ...: made by appending whole cycles, which is fast even in
    /// debug builds (a per-byte `map` of 13 MB held a thread of the parallel tests for seconds).
    static func pattern(_ count: Int) -> [UInt8] {
        let cycle = (0..<251).map { UInt8($0) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count { bytes += cycle.prefix(count - bytes.count) }
        return bytes
    }

    static func read(_ staging: any StagingArea, _ key: String, _ range: Range<Int64>) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await staging.read(key: key, range: range) { bytes += $0.readableBytesView }
        return bytes
    }

    static func newKey(attempt: Int = 1) -> String { StagingKey.make(id: RequestIdentifier(), attempt: attempt) }

    package static let checks: [Check] = [
        Check(description: "a streamed object is stored whole and read back by range") { staging in
            let key = newKey()
            let bytes = pattern(3_000_000)
            let size = try await staging.store(key: key, contentType: "application/x-grib") { sink in
                var offset = 0
                for length in [1, 100, 1 << 20, 300_000, 1_600_000, 51_323] {
                    try await sink.write(ByteBuffer(bytes: bytes[offset..<offset + length]))
                    offset += length
                }
            }
            try expect(size == 3_000_000, "size \(size)")
            try expect(try await staging.size(of: key) == 3_000_000, "stored size")
            try expect(try await read(staging, key, 0..<3_000_000) == bytes, "whole object")
            try expect(try await read(staging, key, 1_000_000..<1_000_010) == Array(bytes[1_000_000..<1_000_010]), "a range")
            try expect(try await read(staging, key, 5..<5).isEmpty, "an empty range")
            let listed = try await staging.list()
            try expect(listed.map(\.key) == [key] && listed.first?.size == 3_000_000, "listed: \(listed)")
            try expect(abs(listed[0].modifiedAt.timeIntervalSinceNow) < 300, "modified just now: \(listed[0].modifiedAt)")
        },
        Check(description: "an object larger than several upload parts") { staging in
            let key = newKey()
            let bytes = pattern(13_000_000)
            let size = try await staging.store(key: key, contentType: "application/octet-stream") { sink in
                var offset = 0
                while offset < bytes.count {
                    let end = min(offset + 65_536, bytes.count)
                    try await sink.write(ByteBuffer(bytes: bytes[offset..<end]))
                    offset = end
                }
            }
            try expect(size == 13_000_000, "size \(size)")
            try expect(try await staging.size(of: key) == 13_000_000, "stored size")
            try expect(try await read(staging, key, 0..<13_000_000) == bytes, "whole object")
            let acrossParts: Range<Int64> = 5_242_000..<5_243_000
            try expect(
                try await read(staging, key, acrossParts) == Array(bytes[Int(acrossParts.lowerBound)..<Int(acrossParts.upperBound)]),
                "a range across a part boundary"
            )
        },
        Check(description: "an empty result is an object of size zero") { staging in
            let key = newKey()
            let size = try await staging.store(key: key, contentType: "text/plain") { _ in }
            try expect(size == 0, "size \(size)")
            try expect(try await staging.size(of: key) == 0, "stored size")
            try expect(try await read(staging, key, 0..<0).isEmpty, "nothing to read")
        },
        Check(description: "a producer that fails leaves nothing behind") { staging in
            for length in [1_000, 12 << 20] {
                let key = newKey()
                do {
                    _ = try await staging.store(key: key, contentType: "x") { sink in
                        for _ in 0..<(length / 1_000) { try await sink.write(ByteBuffer(repeating: 1, count: 1_000)) }
                        throw ProducerFailed()
                    }
                    throw ConformanceFailure(description: "the producer's error was swallowed")
                } catch is ProducerFailed {}
                try expect(try await staging.size(of: key) == nil, "no object after a failed \(length)-byte write")
            }
            try expect(try await staging.list().isEmpty, "nothing listed")
        },
        Check(description: "a missing object has no size and cannot be read") { staging in
            let key = newKey()
            try expect(try await staging.size(of: key) == nil, "no size")
            do {
                _ = try await read(staging, key, 0..<10)
                throw ConformanceFailure(description: "reading a missing object succeeded")
            } catch is ConformanceFailure {
                throw ConformanceFailure(description: "reading a missing object succeeded")
            } catch {}
        },
        Check(description: "deleting is idempotent and only valid keys are accepted") { staging in
            let key = newKey(attempt: 2)
            _ = try await staging.store(key: key, contentType: "x") { try await $0.write(ByteBuffer(string: "abc")) }
            try await staging.delete(key: key)
            try await staging.delete(key: key)
            try expect(try await staging.size(of: key) == nil, "deleted")
            for bad in ["../../etc/passwd", "x/../y", "", "abc"] {
                do {
                    try await staging.delete(key: bad)
                    throw ConformanceFailure(description: "deleting '\(bad)' was accepted")
                } catch is PolytopeError {}
                do {
                    _ = try await staging.store(key: bad, contentType: "x") { _ in }
                    throw ConformanceFailure(description: "storing '\(bad)' was accepted")
                } catch is PolytopeError {}
            }
        },
        Check(description: "the readiness probe writes and leaves nothing") { staging in
            try await staging.checkWritable()
            try expect(try await staging.list().isEmpty, "the probe leaves nothing")
        },
    ]

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(description: message()) }
    }
}
