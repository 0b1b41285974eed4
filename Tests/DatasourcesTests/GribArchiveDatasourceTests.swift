import Foundation
import GribArchive
import MarsLanguage
import NIOCore
import PolytopeCore
import PolytopeTestSupport
import Testing

@testable import Datasources

@Suite("GRIB archive datasource")
struct GribArchiveDatasourceTests {
    /// A collection `archive` of language `mars` (parameters by short name, as some collections
    /// write them) over one `grib-archive` datasource at `root`, with `options`.
    static func collection(root: String, options: String = "") throws -> CollectionDefinition {
        let (catalog, problems) = try readCatalog(
            """
            collections:
              archive:
                language: {type: mars, param-names: short-name}
                datasources:
                  - {name: fields, type: grib-archive, root: "\(root)"\(options.isEmpty ? "" : ", " + options)}
            """)
        guard problems.isEmpty, let collection = catalog["archive"] else { throw TestFailure(description: "\(problems)") }
        return collection
    }

    /// `text` as the frontend hands it to the datasource: parsed, normalised by the collection
    /// and checked by the datasource (`rejection(of:)`).
    static func submit(_ text: String, to collection: CollectionDefinition, verb: Verb = .retrieve) throws -> (any Datasource, DatasourceRequest) {
        var request = DatasourceRequest(
            id: RequestIdentifier(), user: Fixtures.alice, verb: verb, collection: "archive", text: text,
            document: try RequestTextParser().parse(text))
        let selection = try collection.select(request)
        request.document = selection.document
        return (selection.route.datasource, request)
    }

    @Test("fields archived through the datasource come back exactly, in request order, as GRIB")
    func archiveThenRetrieve() async throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let collection = try Self.collection(root: grib.root)
        let archiving = try #require(collection.routes[0].datasource as? GribArchiveDatasource)
        var messages: [String: [UInt8]] = [:]
        for param in ["2t", "msl"] {
            for step in ["0", "6", "12"] {
                messages["\(param)/\(step)"] = try await grib.message("date=20250101,time=1200,step=\(step),shortName=\(param)")
            }
        }
        let metadata = try MarsRequestNormaliser().normalise(try RequestTextParser().parse("date=20250101, param=2t/msl"), now: Date())
        #expect(try await archiving.archive(file: try grib.file(messages.values.map { $0 }), expecting: metadata) == 6)

        let (datasource, request) = try Self.submit("retrieve, date=2025-01-01, param=msl/2t, step=12/to/0/by/-6, time=12", to: collection)
        #expect(request.document.marsText.contains("param=msl/2t"))  // the collection writes short names
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)

        let order = ["msl/12", "msl/6", "msl/0", "2t/12", "2t/6", "2t/0"]
        #expect(datasource.contentType(for: request) == "application/x-grib")
        #expect(sink.bytes == order.flatMap { messages[$0]! })
        #expect(
            try await grib.list(sink.bytes) == ["20250101 1200 12 msl", "20250101 1200 6 msl", "20250101 1200 0 msl", "20250101 1200 12 2t"] + [
                "20250101 1200 6 2t", "20250101 1200 0 2t",
            ])
    }

    @Test("missing fields fail the request with their list, or are left out with missing: partial")
    func missingFields() async throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let strict = try Self.collection(root: grib.root)
        let present = try await grib.message("date=20250101,time=1200,step=0,shortName=2t")
        _ = try await #require(strict.routes[0].datasource as? GribArchiveDatasource).archive(file: try grib.file([present]), expecting: nil)
        let text = "date=20250101, time=1200, param=2t, step=0/6/12"

        let (datasource, request) = try Self.submit(text, to: strict)
        let error = await #expect(throws: PolytopeError.self) { try await datasource.retrieve(request, into: CollectingSink()) }
        #expect(error?.code == .notFound)
        #expect(error?.message == "2 fields not in the archive: date=20250101,time=1200,param=167,step=6; date=20250101,time=1200,param=167,step=12")

        let partial = try Self.collection(root: grib.root, options: "missing: partial")
        let (lenient, sameRequest) = try Self.submit(text, to: partial)
        let sink = CollectingSink()
        try await lenient.retrieve(sameRequest, into: sink)
        #expect(sink.bytes == present)
        // Nothing at all is still a failure.
        let (_, nothing) = try Self.submit("date=20250102, time=1200, param=2t, step=0", to: partial)
        let none = await #expect(throws: PolytopeError.self) { try await lenient.retrieve(nothing, into: CollectingSink()) }
        #expect(none?.message == "1 field not in the archive: date=20250102,time=1200,param=167,step=0")
    }

    @Test("results larger than 1 MiB reach the sink in chunks of at most 1 MiB")
    func boundedChunks() async throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let collection = try Self.collection(root: grib.root)
        let datasource = try #require(collection.routes[0].datasource as? GribArchiveDatasource)
        // 27 kB fields on a Gaussian grid: 48 of them make 1.3 MB.
        var messages: [[UInt8]] = []
        for step in 0..<48 { messages.append(try await grib.message("date=20250101,step=\(step),shortName=2t", template: GribSamples.gaussian)) }
        #expect(try await datasource.archive(file: try grib.file(messages), expecting: nil) == 48)

        let (_, request) = try Self.submit("class=od, type=an, date=20250101, param=2t, step=0/to/47/by/1", to: collection)
        let sink = CollectingSink()
        try await datasource.retrieve(request, into: sink)

        #expect(sink.byteCount == messages.reduce(0) { $0 + $1.count })
        #expect(sink.byteCount > 1 << 20)
        #expect(sink.buffers.allSatisfy { $0.readableBytes <= 1 << 20 })
        #expect(sink.buffers.count == 2)
        #expect(sink.bytes == Array(messages.joined()))
    }

    @Test(
        "requests it cannot serve are refused at submission",
        arguments: [
            ("param=2t, step=0", "key 'date' is required (this archive needs date, param in every request)"),
            ("step=0", "keys 'date', 'param' are required"),
            ("date=20250101/to/20250131, param=2t/msl, step=0/to/240/by/1", "the request asks for more than 1000 fields"),
        ]
    )
    func refusals(_ text: String, _ reason: String) throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let collection = try Self.collection(root: grib.root, options: "max-fields: 1000")
        let error = #expect(throws: PolytopeError.self) { try Self.submit(text, to: collection) }
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        // An archive request is metadata: it must be valid MARS, nothing more.
        #expect(try Self.submit("date=20250101, param=2t", to: collection, verb: .archive).0 is GribArchiveDatasource)
        let archiving = #expect(throws: PolytopeError.self) { try Self.submit("date=20251301, param=2t", to: collection, verb: .archive) }
        #expect(archiving?.message.contains("20251301") == true, "\(String(describing: archiving))")
    }

    @Test("configuration: options read, problems named, and nothing created on disk until first use")
    func configuration() throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let root = grib.root + "/not-yet"
        let collection = try Self.collection(
            root: root, options: "missing: partial, max-fields: 500, max-lookups: 9000, required-keys: [date, param, step], sync-writes: false")
        let options = try #require(collection.routes[0].datasource as? GribArchiveDatasource).configuration
        #expect(options.root == root)
        #expect(options.missing == .partial)
        #expect(options.maxFields == 500)
        #expect(options.maxLookups == 9000)
        #expect(options.requiredKeys == ["date", "param", "step"])
        #expect(options.syncWrites == false)
        #expect(!FileManager.default.fileExists(atPath: root))

        let (_, problems) = try readCatalog(
            """
            collections:
              archive:
                datasources:
                  - {name: a, type: grib-archive}
                  - {name: b, type: grib-archive, root: /tmp/x, missing: skip}
            """)
        #expect(problems.contains { $0.contains("a grib-archive datasource needs 'root'") }, "\(problems)")
        #expect(problems.contains { $0.contains("missing") && $0.contains("partial") }, "\(problems)")
    }

    @Test("archiving data that does not match the metadata is the user's error, naming the message")
    func archiveMismatch() async throws {
        let grib = try GribSamples()
        defer { grib.remove() }
        let datasource = try #require(try Self.collection(root: grib.root).routes[0].datasource as? GribArchiveDatasource)
        let file = try grib.file([try await grib.message("date=20250101,shortName=2t"), try await grib.message("date=20250102,shortName=2t")])
        let metadata = try MarsRequestNormaliser().normalise(try RequestTextParser().parse("date=20250101, param=2t"), now: Date())

        let error = await #expect(throws: PolytopeError.self) { try await datasource.archive(file: file, expecting: metadata) }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("message 2 (bytes 179..<358), date=20250102,") == true, "\(String(describing: error))")
        #expect(error?.message.contains("date=20250102 (the request says 20250101)") == true)
    }
}

extension GribSamples {
    /// A directory for the archive.
    var root: String { directory.file("archive") }
}
