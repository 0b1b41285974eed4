import Foundation
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

/// The `http` datasource against real servers on loopback (nginx, and a Python server that
/// fails on purpose) serving GRIB files and open-data indexes made with ecCodes.
@Suite("HTTPDatasource against a data portal")
struct HTTPDatasourceTests {
    static let steps = ["0", "6", "12"]
    static let params = ["2t", "msl", "10u", "10v"]

    /// One GRIB message per step and parameter (date 20240101, time 0000), made once.
    static let messages = Result<[String: [UInt8]], any Error> {
        var messages: [String: [UInt8]] = [:]
        for step in steps {
            for param in params { messages["\(step)/\(param)"] = try GRIBMaker.message(date: "20240101", time: "0000", step: step, shortName: param) }
        }
        return messages
    }

    /// A portal with this test's files: per step, an open-data file of the four parameters
    /// (`<prefix>/20240101/00z/ifs/0p25/oper/20240101000000-<step>h-oper-fc.grib2`) with its
    /// `.index`, and one plain file per field (`<prefix>/plain/20240101/00/<param>-<step>.grib2`).
    func portal() async throws -> (TestDataPortal.Site, [String: [UInt8]]) {
        let site = try await TestDataPortal.site()
        let messages = try Self.messages.get()
        for step in Self.steps {
            var data: [UInt8] = []
            var index = ""
            for param in Self.params {
                let message = messages["\(step)/\(param)"]!
                index += """
                    {"domain": "g", "date": "20240101", "time": "0000", "expver": "0001", "class": "od", "type": "fc", "stream": "oper", \
                    "step": "\(step)", "levtype": "sfc", "param": "\(param)", "_offset": \(data.count), "_length": \(message.count)}

                    """
                data += message
                try site.write(message, to: "plain/20240101/00/\(param)-\(step).grib2")
            }
            try site.write(data, to: "20240101/00z/ifs/0p25/oper/20240101000000-\(step)h-oper-fc.grib2")
            try site.write(Array(index.utf8), to: "20240101/00z/ifs/0p25/oper/20240101000000-\(step)h-oper-fc.index")
        }
        return (site, messages)
    }

    func openDataURL(_ base: String, _ site: TestDataPortal.Site) -> String {
        "\(base)/\(site.prefix)/{date}/{time:HH}z/ifs/0p25/oper/{date}{time:HH}0000-{step}h-oper-fc.grib2"
    }

    func plainURL(_ base: String, _ site: TestDataPortal.Site) -> String {
        "\(base)/\(site.prefix)/plain/{date}/{time:HH}/{param}-{step}.grib2"
    }

    func datasource(
        _ url: String, layout: HTTPDatasource.Layout, _ configure: (inout HTTPDatasource.Configuration) -> Void = { _ in }
    ) throws -> HTTPDatasource {
        var configuration = HTTPDatasource.Configuration(url: url)
        configuration.layout = layout
        configuration.backoff = .milliseconds(10)
        configuration.timeout = .seconds(10)
        configure(&configuration)
        return try HTTPDatasource(configuration: configuration)
    }

    func retrieve(_ datasource: HTTPDatasource, _ text: String) async throws -> CollectingSink {
        let request = DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "od", text: text,
            document: try RequestTextParser().parse(text))
        #expect(datasource.rejection(of: request) == nil)
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)
        return sink
    }

    /// The message of the user-facing error `body` throws.
    func failure(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch {
            return (error as? any UserFacingError)?.userMessage ?? "not for users: \(error)"
        }
    }

    @Test("open-data: only the requested fields are fetched, with range requests, in request order")
    func openDataSubset() async throws {
        let (site, messages) = try await portal()
        let source = try datasource(openDataURL(site.nginx, site), layout: .openData)
        let sink = try await retrieve(source, "date: 20240101\ntime: 0\nstep: 12/0\nparam: 10u/2t")
        #expect(sink.bytes == messages["12/10u"]! + messages["12/2t"]! + messages["0/10u"]! + messages["0/2t"]!)
        #expect(try GRIBMaker.list(sink.bytes) == ["10u 12", "2t 12", "10u 0", "2t 0"])
        let log = try site.nginxLog()
        #expect(log.filter { $0.contains(".index") }.count == 2)
        let data = log.filter { $0.contains(".grib2") }
        #expect(data.count == 4)
        #expect(data.allSatisfy { $0.contains(" 206 \"bytes=") })
        #expect(source.contentType(for: try DatasourceRequest.sample()) == "application/x-grib")
    }

    @Test("open-data: adjacent fields are read with one range per file, over reused connections")
    func openDataCoalescing() async throws {
        let (site, messages) = try await portal()
        let source = try datasource(openDataURL(site.nginx, site), layout: .openData) { $0.maxConcurrent = 1 }
        let sink = try await retrieve(source, "date: 20240101\ntime: 0000\nstep: 0/6/12\nparam: 2t/msl")
        #expect(sink.bytes == Self.steps.flatMap { messages["\($0)/2t"]! + messages["\($0)/msl"]! })
        let log = try site.nginxLog()
        let data = log.filter { $0.contains(".grib2") }
        #expect(data.count == 3)
        #expect(data.allSatisfy { $0.hasSuffix("206 \"bytes=0-357\"") })
        let connections = Set(log.map { $0.prefix { $0 != " " } })
        #expect(connections.count < log.count, "\(log)")
    }

    @Test("plain: one GET per combination of the URL's keys, concatenated in request order")
    func plainLayout() async throws {
        let (site, messages) = try await portal()
        let source = try datasource(plainURL(site.nginx, site), layout: .plain)
        let sink = try await retrieve(source, "date: 20240101\ntime: 0\nparam: msl/2t\nstep: 6/0")
        #expect(sink.bytes == messages["6/msl"]! + messages["0/msl"]! + messages["6/2t"]! + messages["0/2t"]!)
        #expect(try GRIBMaker.list(sink.bytes) == ["msl 6", "msl 0", "2t 6", "2t 0"])
        #expect(try site.nginxLog().count == 4)
    }

    @Test("missing fields fail the request with their list, before any data is fetched; skip returns the rest")
    func missingOpenData() async throws {
        let (site, messages) = try await portal()
        let request = "date: 20240101\ntime: 0\nstep: 0/18\nparam: 2t/sp"
        let message = await failure { _ = try await retrieve(try datasource(openDataURL(site.nginx, site), layout: .openData), request) }
        #expect(
            message == "field(s) not found: date=20240101, time=0000, step=0, param=sp; date=20240101, time=0000, step=18, param=2t; "
                + "date=20240101, time=0000, step=18, param=sp")
        #expect(try site.nginxLog().allSatisfy { $0.contains(".index") })

        let skipping = try datasource(openDataURL(site.nginx, site), layout: .openData) { $0.missing = .skip }
        #expect(try await retrieve(skipping, request).bytes == messages["0/2t"]!)
        let nothing = await failure { _ = try await retrieve(skipping, "date: 20240101\ntime: 0\nstep: 18\nparam: 2t") }
        #expect(nothing == "field(s) not found: date=20240101, time=0000, step=18, param=2t")
    }

    @Test("plain: 404 is not retried; missing files are listed (checked with HEAD once one is missing); skip returns the rest")
    func missingPlain() async throws {
        let (site, messages) = try await portal()
        let request = "date: 20240101\ntime: 0\nparam: sp/2t/tcc\nstep: 0"
        let message = await failure { _ = try await retrieve(try datasource(plainURL(site.nginx, site), layout: .plain), request) }
        #expect(message == "field(s) not found: date=20240101, time=0000, param=sp, step=0; date=20240101, time=0000, param=tcc, step=0")
        let log = try site.nginxLog()
        #expect(log.count == 3)
        #expect(log[0].contains("\"GET ") && log[0].contains(" 404 "))
        #expect(log[1].contains("\"HEAD ") && log[1].contains(" 200 "))
        #expect(log[2].contains("\"HEAD ") && log[2].contains(" 404 "))

        let skipping = try datasource(plainURL(site.nginx, site), layout: .plain) { $0.missing = .skip }
        #expect(try await retrieve(skipping, request).bytes == messages["0/2t"]!)
    }

    @Test("503 answers are tried again with backoff, for indexes and ranges, until the portal answers")
    func retriesThenSuccess() async throws {
        let (site, messages) = try await portal()
        let source = try datasource(openDataURL("\(site.faults)/flaky/2", site), layout: .openData)
        let sink = try await retrieve(source, "date: 20240101\ntime: 0\nstep: 6\nparam: msl/10v")
        #expect(sink.bytes == messages["6/msl"]! + messages["6/10v"]!)
        let log = try site.faultsLog()
        #expect(log.filter { $0.contains(".index") }.map { $0.split(separator: " ").last! } == ["503", "503", "200"])
        #expect(log.filter { $0.contains(".grib2") }.map { $0.split(separator: " ").last! } == ["503", "503", "206", "206"])
    }

    @Test("a portal that keeps failing: the message says what it answered and how often, for the URL without secrets")
    func retriesExhausted() async throws {
        let (site, _) = try await portal()
        let source = try datasource(plainURL("\(site.nginx)/unavailable", site) + "?token=query-secret-456", layout: .plain) {
            $0.retries = 2
            $0.headers = ["X-Portal-Key": "header-secret-123"]
        }
        var thrown: (any Error)?
        let message = await failure {
            do { _ = try await retrieve(source, "date: 20240101\ntime: 12\nparam: 2t\nstep: 6") } catch {
                thrown = error
                throw error
            }
        }
        #expect(message == "the data portal answered 503 three times for \(site.nginx)/unavailable/\(site.prefix)/plain/20240101/12/2t-6.grib2")
        #expect(try site.nginxLog().count == 3)
        for secret in ["query-secret-456", "header-secret-123"] {
            #expect(!message.contains(secret))
            #expect(!String(describing: thrown).contains(secret))
            #expect(!String(reflecting: thrown).contains(secret))
        }
    }

    @Test("configured headers reach the portal; a refusal (401) is not retried and shows no secret")
    func headers() async throws {
        let (site, messages) = try await portal()
        let good = try datasource(plainURL("\(site.nginx)/private", site), layout: .plain) {
            $0.headers = ["Authorization": "Bearer test-portal-token"]
        }
        #expect(try await retrieve(good, "date: 20240101\ntime: 0\nparam: 2t\nstep: 0").bytes == messages["0/2t"]!)
        let bad = try datasource(plainURL("\(site.nginx)/private", site), layout: .plain) {
            $0.headers = ["Authorization": "Bearer wrong-secret-789"]
        }
        let message = await failure { _ = try await retrieve(bad, "date: 20240101\ntime: 0\nparam: 2t\nstep: 0") }
        #expect(message == "the data portal refused the request (HTTP 401) for \(site.nginx)/private/\(site.prefix)/plain/20240101/00/2t-0.grib2")
        #expect(try site.nginxLog().map { $0.contains(" 401 ") } == [false, true])
    }

    @Test("an answer cut short is resumed from the first missing byte, never duplicated")
    func resumesDroppedConnection() async throws {
        let site = try await TestDataPortal.site()
        let content = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
        try site.write(content, to: "plain/20240101/00/2t-0.grib2")
        let sink = try await retrieve(
            try datasource(plainURL("\(site.faults)/drop", site), layout: .plain), "date: 20240101\ntime: 0\nparam: 2t\nstep: 0")
        #expect(sink.bytes == content)
        let log = try site.faultsLog()
        #expect(log.count == 2)
        // The server sent half of the file (150000 bytes) before closing; what arrived of it
        // is kept, and the rest asked for from the first byte missing.
        let resumedAt = log.last.flatMap { $0.split(separator: " ").dropLast().last }.flatMap { Int($0.dropFirst(6).dropLast()) }
        #expect(log.last?.hasSuffix(" 206") == true)
        #expect(resumedAt.map { (1...150_000).contains($0) } == true, "\(log)")
    }

    @Test("no answer within the timeout counts as a failure and is tried again")
    func timeout() async throws {
        let (site, _) = try await portal()
        let source = try datasource(plainURL("\(site.faults)/slow", site), layout: .plain) {
            $0.timeout = .milliseconds(300)
            $0.retries = 1
        }
        let message = await failure { _ = try await retrieve(source, "date: 20240101\ntime: 0\nparam: 2t\nstep: 0") }
        #expect(message == "the data portal did not answer within 300ms twice for \(site.faults)/slow/\(site.prefix)/plain/20240101/00/2t-0.grib2")
    }

    @Test("a body that trickles in slower than min-speed counts as a failure, so a worker is not held for ever")
    func trickle() async throws {
        let site = try await TestDataPortal.site()
        try site.write([UInt8](repeating: 7, count: 4096), to: "plain/20240101/00/2t-0.grib2")  // 3.2 s at the server's 1.25 KiB/s
        let source = try datasource(plainURL("\(site.faults)/drip", site), layout: .plain) {
            $0.timeout = .milliseconds(300)
            $0.retries = 1
        }
        let message = await failure { _ = try await retrieve(source, "date: 20240101\ntime: 0\nparam: 2t\nstep: 0") }
        #expect(
            message == "the data portal sent data slower than 16.0 KiB/s twice for \(site.faults)/drip/\(site.prefix)/plain/20240101/00/2t-0.grib2")
        let attempts = try site.faultsLog()
        #expect(attempts.count == 2 && attempts.last?.contains(" bytes=") == true, "the second attempt resumes: \(attempts)")
    }

    @Test("with min-speed 0, a slow body is read to its end as long as data keep coming")
    func trickleAllowed() async throws {
        let site = try await TestDataPortal.site()
        let content = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }  // 0.8 s, more than the timeout
        try site.write(content, to: "plain/20240101/00/2t-0.grib2")
        let source = try datasource(plainURL("\(site.faults)/drip", site), layout: .plain) {
            $0.timeout = .milliseconds(300)
            $0.minimumSpeed = 0
        }
        #expect(try await retrieve(source, "date: 20240101\ntime: 0\nparam: 2t\nstep: 0").bytes == content)
    }

    @Test("large files and fields reach the sink in chunks of at most 1 MiB, ranges in parts of at most 4 MiB")
    func boundedChunks() async throws {
        let site = try await TestDataPortal.site()
        let content = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 11) }
        let split = (5 << 20) + 1
        try site.write(content, to: "plain/20240101/00/2t-0.grib2")
        try site.write(content, to: "20240101/00z/ifs/0p25/oper/20240101000000-0h-oper-fc.grib2")
        let index = """
            {"date": "20240101", "time": "0000", "step": "0", "param": "2t", "_offset": 0, "_length": \(split)}
            {"date": "20240101", "time": "0000", "step": "0", "param": "msl", "_offset": \(split), "_length": \(content.count - split)}
            """
        try site.write(Array(index.utf8), to: "20240101/00z/ifs/0p25/oper/20240101000000-0h-oper-fc.index")

        let plain = try await retrieve(try datasource(plainURL(site.nginx, site), layout: .plain), "date: 20240101\ntime: 0\nparam: 2t\nstep: 0")
        #expect(plain.bytes == content)
        #expect(plain.buffers.allSatisfy { $0.readableBytes <= 1 << 20 })

        let openData = try await retrieve(
            try datasource(openDataURL(site.nginx, site), layout: .openData), "date: 20240101\ntime: 0\nstep: 0\nparam: 2t/msl")
        #expect(openData.bytes == content)
        #expect(openData.buffers.allSatisfy { $0.readableBytes <= 1 << 20 })
        let ranges = try site.nginxLog().filter { $0.contains("oper-fc.grib2") }.map { $0.split(separator: " ").last! }
        #expect(ranges.sorted() == ["\"bytes=0-4194303\"", "\"bytes=4194304-6291455\""])  // read in parallel
    }
}

extension DatasourceRequest {
    static func sample() throws -> DatasourceRequest {
        DatasourceRequest(id: RequestIdentifier(), user: Fixtures.alice, verb: .retrieve, collection: "od", text: "", document: RequestDocument())
    }
}
