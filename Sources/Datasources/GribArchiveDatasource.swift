import Foundation
import GribArchive
import MarsLanguage
import NIOCore
import PolytopeConfig
import PolytopeCore
import Synchronization

/// Serves GRIB fields from a `GribArchive` under a configured root (type `grib-archive`).
///
/// Requests are normalised as MARS requests here (whatever the collection's `language`; a
/// request already normalised by `language: mars` comes out the same), then each combination
/// of the request's values is looked up and the fields found are streamed, in request order,
/// as `application/x-grib`, in chunks of at most 1 MiB. Missing fields fail the request with
/// their list (`missing: fail`) or are left out (`missing: partial`).
///
/// The archive is opened on first use, so reading the configuration creates nothing on disk.
/// `archive(file:expecting:)` is the entry point of the archive verb.
package struct GribArchiveDatasource: Datasource {
    /// What to do when some requested fields are not in the archive.
    package enum MissingFields: String, Sendable, Hashable, CaseIterable {
        /// Fail the request, listing the missing fields.
        case fail
        /// Return the fields that exist (fail only when none does).
        case partial
    }

    /// The options of a `grib-archive` datasource (see docs/configuration.md).
    package struct Configuration: Sendable {
        /// The archive's directory.
        package var root: String
        package var missing: MissingFields = .fail
        /// The most fields one request may ask for or return.
        package var maxFields = 100_000
        /// The most index lookups one request may make (keys a request leaves out match every
        /// value the archive holds, multiplying lookups).
        package var maxLookups = 1_000_000
        /// Keys every request must give.
        package var requiredKeys = ["date", "param"]
        /// Whether archived files are flushed to disk before they are indexed.
        package var syncWrites = true

        package init(root: String) {
            self.root = root
        }
    }

    package let configuration: Configuration
    let normaliser: MarsRequestNormaliser
    let clock: any WallClock
    private let opener: ArchiveOpener
    /// The longest chunk written to the sink.
    var chunkLength = 1 << 20

    package init(configuration: Configuration, clock: any WallClock = SystemWallClock()) {
        var settings = MarsLanguageSettings.standard
        settings.maximumValues = max(configuration.maxFields, settings.maximumValues)
        // `all` matches every archived value; whether a request may use it is the collection's choice.
        for key in MarsLanguageSettings.standardKinds.keys { settings.setAllowsAll(true, for: key) }
        normaliser = MarsRequestNormaliser(settings: settings)
        self.configuration = configuration
        self.clock = clock
        opener = ArchiveOpener(
            configuration: GribArchive.Configuration(
                root: URL(fileURLWithPath: configuration.root), maximumFields: configuration.maxFields,
                maximumLookups: configuration.maxLookups, syncWrites: configuration.syncWrites),
            clock: clock)
    }

    package func contentType(for request: DatasourceRequest) -> String { "application/x-grib" }

    package func rejection(of request: DatasourceRequest) -> String? {
        switch prepare(request) {
        case .success: return nil
        case .failure(let error): return error.message
        }
    }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let normalised = try prepare(request).get()
        let archive = try opener.archive()
        do {
            let plan = try await archive.retrievalPlan(for: normalised)
            if let message = plan.missingMessage {
                if configuration.missing == .fail || plan.fields.isEmpty { throw PolytopeError(.notFound, message) }
                await request.tellUser?("Returned \(plan.fields.count) of \(plan.requestedCount) fields; \(message)")
            }
            try await archive.read(plan.fields, chunkLength: chunkLength) { try await output.write($0) }
        } catch let error as GribArchiveError {
            throw error.polytopeError
        }
    }

    /// Archives the GRIB messages of `file` (for the archive verb), each checked against
    /// `metadata` (see `GribArchive.archive(file:expecting:)`); returns how many.
    /// - Throws: `PolytopeError`: invalid request for data that cannot be archived (naming
    ///   the message at fault), internal error for a storage failure.
    package func archive(file: URL, expecting metadata: NormalisedRequest?) async throws -> Int {
        do {
            return try await opener.archive().archive(file: file, expecting: metadata)
        } catch let error as GribArchiveError {
            throw error.polytopeError
        }
    }

    /// The request normalised, or why this datasource refuses it. An archive request is the
    /// metadata of the data to come: it only has to be a valid MARS request.
    func prepare(_ request: DatasourceRequest) -> Result<NormalisedRequest, PolytopeError> {
        let normalised: NormalisedRequest
        do {
            normalised = try normaliser.normalise(request.document, now: clock.now())
        } catch {
            return .failure(error.polytopeError)
        }
        if request.verb == .archive { return .success(normalised) }
        let absent = configuration.requiredKeys.filter { normalised[$0] == nil }
        guard absent.isEmpty else {
            return .failure(
                .missingKeys(absent, because: "this archive needs \(configuration.requiredKeys.joined(separator: ", ")) in every request"))
        }
        var count = 1
        for field in normalised.fields where MarsLanguageSettings.standardKinds[field.key] != nil {
            let (product, overflow) = count.multipliedReportingOverflow(by: field.values.count)
            count = overflow ? Int.max : product
        }
        guard count <= configuration.maxFields else {
            return .failure(
                .invalidRequest(
                    "the request asks for more than \(configuration.maxFields) fields, the most one request may return; split the request"))
        }
        return .success(normalised)
    }

    /// A `grib-archive` datasource from its configuration entry; nil (with every problem
    /// reported under its key path) when the entry cannot work.
    static func read(_ options: ConfigReader) -> GribArchiveDatasource? {
        guard let root = options.string("root"), !root.isEmpty else {
            options.report("a grib-archive datasource needs 'root', the directory of its files and index")
            return nil
        }
        var configuration = Configuration(root: root)
        configuration.missing = options.choice("missing", ["fail": .fail, "partial": .partial], default: .fail)
        configuration.maxFields = options.int("max-fields", default: configuration.maxFields, range: 1...10_000_000)
        configuration.maxLookups = options.int("max-lookups", default: configuration.maxLookups, range: 1...100_000_000)
        configuration.syncWrites = options.bool("sync-writes", default: configuration.syncWrites)
        if let keys = options.strings("required-keys", splitOnSlash: true) {
            configuration.requiredKeys = keys.map { $0.lowercased() }
        }
        return GribArchiveDatasource(configuration: configuration)
    }
}

/// Opens the archive on first use and keeps it; a failed opening is tried again next time.
final class ArchiveOpener: Sendable {
    private let configuration: GribArchive.Configuration
    private let clock: any WallClock
    private let opened = Mutex<GribArchive?>(nil)

    init(configuration: GribArchive.Configuration, clock: any WallClock) {
        self.configuration = configuration
        self.clock = clock
    }

    func archive() throws -> GribArchive {
        try opened.withLock { archive in
            if let archive { return archive }
            do {
                let opened = try GribArchive(configuration: configuration, clock: clock)
                archive = opened
                return opened
            } catch {
                throw PolytopeError(.internalError, "the GRIB archive cannot be opened", cause: error)
            }
        }
    }
}

extension GribArchiveDatasource: ArchivingDatasource {
    /// Archives the uploaded GRIB file; each message must match the archive request's metadata.
    package func archive(_ request: DatasourceRequest, file: URL) async throws -> String {
        let metadata = try prepare(request).get()
        let count = try await archive(file: file, expecting: metadata)
        return "Archived \(count) field\(count == 1 ? "" : "s")."
    }
}
