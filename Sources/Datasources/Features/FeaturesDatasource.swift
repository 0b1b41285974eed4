import FeatureExtraction
import Foundation
import GribArchive
import MarsLanguage
import PolytopeConfig
import PolytopeCore

/// Cuts features (timeseries, vertical profiles, boxes, polygons, circles, frames,
/// trajectories) out of the fields of a GRIB archive and answers them as CoverageJSON
/// (type `features`).
///
/// It reads the same archive (root and index) as a `grib-archive` datasource, so one archive
/// serves whole fields and features. A request is a MARS request plus a `feature` block in
/// polytope-mars' format and optionally `format: covjson`. At submit, everything that can be
/// known without reading values is checked and every problem named in one 400: the feature
/// block, the MARS keys, the fields the archive lacks, the grids (points outside a
/// limited-area grid, grids features cannot be cut from). Retrieval reads, for GRIB 2 simple
/// packing, only the bytes of the selected points (and the bitmap); other packings are decoded
/// whole with ecCodes (bounded cache). The answer is streamed as covjsonkit writes it.
package struct FeaturesDatasource: Datasource {
    /// The options of a `features` datasource (see docs/configuration.md).
    package struct Configuration: Sendable {
        /// The archive's directory (the `root` of a `grib-archive` datasource).
        package var root: String
        /// The most fields one request may use.
        package var maxFields = 10_000
        /// The most index lookups one request may make.
        package var maxLookups = 1_000_000
        /// Points of a point feature or vertices of polygons (polytope-mars' `max_points`).
        package var maxPoints = 1000
        /// The largest area a region may cover on the sphere, in km² (no limit when nil).
        package var maxAreaSquareKilometres: Int?
        /// Keys every request must give (or the feature must span).
        package var requiredKeys = ["date", "param"]
        /// The most bytes of fields decoded whole kept for later requests.
        package var decodedFieldCacheBytes = 64 << 20
        /// The most values an answer may hold in memory at once (selected points × the fields
        /// of one coverage; of all fields for point layouts); a larger one is refused.
        package var maxValues = 20_000_000

        package init(root: String) {
            self.root = root
        }
    }

    /// The media type of the answer (covjsonkit's, accepted by polytope-client).
    package static let contentType = "application/prs.coverage+json"

    package let configuration: Configuration
    let settings: FeatureQuery.Settings
    let clock: any WallClock
    let opener: ArchiveOpener
    let geometries = GridGeometryCache()
    /// Bytes gathered before they are written to the sink.
    var chunkLength = 256 << 10

    package init(configuration: Configuration, clock: any WallClock = SystemWallClock()) {
        var marsSettings = MarsLanguageSettings.standard
        marsSettings.maximumValues = max(configuration.maxFields, marsSettings.maximumValues)
        for key in MarsLanguageSettings.standardKinds.keys { marsSettings.setAllowsAll(true, for: key) }
        self.configuration = configuration
        self.clock = clock
        settings = FeatureQuery.Settings(
            normaliser: MarsRequestNormaliser(settings: marsSettings),
            limits: FeatureLimits(
                maxPoints: configuration.maxPoints, maxAreaSquareKilometres: configuration.maxAreaSquareKilometres.map(Double.init) ?? .infinity),
            requiredKeys: configuration.requiredKeys, maxFields: configuration.maxFields)
        opener = ArchiveOpener(
            configuration: GribArchive.Configuration(
                root: URL(fileURLWithPath: configuration.root), maximumFields: configuration.maxFields,
                maximumLookups: configuration.maxLookups, decodedFieldCacheBytes: configuration.decodedFieldCacheBytes),
            clock: clock)
    }

    package func contentType(for request: DatasourceRequest) -> String { Self.contentType }

    /// Every problem of the request, including those only the archive shows (missing fields,
    /// points outside a limited-area grid), or nil when it can be answered.
    package func rejection(of request: DatasourceRequest) -> String? {
        guard request.verb == .retrieve else { return "the features datasource only answers retrieve requests" }
        let query: FeatureQuery
        switch FeatureQuery.prepare(request.document, settings: settings, now: clock.now()) {
        case .success(let prepared): query = prepared
        case .failure(let error): return error.message
        }
        let problems = archiveProblems(of: query)
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let query = try FeatureQuery.prepare(request.document, settings: settings, now: clock.now()).get()
        do {
            try await extract(query, into: output)
        } catch let error as GribArchiveError {
            throw error.polytopeError
        } catch let error as FeatureSpecificationError {
            throw error.polytopeError
        } catch let error as GridSelectionError {
            throw error.polytopeError
        } catch let error as GridGeometryError {
            throw error.polytopeError
        } catch let error as SimplePackingError {
            throw error.polytopeError
        } catch let error as CoverageEncodingError {
            throw error.polytopeError
        }
    }

    /// What the archive shows is wrong with `query`: fields it lacks, grids features cannot
    /// be cut from, points outside a grid, parameters of one MultiPoint or Trajectory coverage
    /// on different grids. Layouts not yet recorded (fields archived before
    /// layouts existed) are checked when the request runs instead.
    func archiveProblems(of query: FeatureQuery) -> [String] {
        do {
            let archive = try opener.archive()
            let plan = try archive.retrievalPlanNow(for: query.request, keeping: query.archiveFilter)
            let (fields, missingValues) = query.restrict(plan.fields.map(ArchivedFieldKeys.init))
            var problems: [String] = []
            if let message = Self.missingMessage(plan: plan, missingValues: missingValues, found: fields.count) { problems.append(message) }
            let layouts = try archive.recordedLayoutsNow(of: fields.map(\.field))
            var checked: Set<GridDescription> = []
            for field in fields {
                guard let layout = layouts[field.field.key] else { continue }
                guard let grid = layout.grid else {
                    problems.append(Self.noGridMessage(field: field, layout: layout))
                    break
                }
                guard checked.insert(grid).inserted else { continue }
                do {
                    let geometry = try geometries.geometry(of: grid)
                    // Only nearest points can be refused (outside a limited-area grid);
                    // regions may select nothing, and selecting them here would double
                    // their cost and hold up the submission.
                    if case .nearestPoints = query.specification.shape {
                        _ = try GridSelector.select(query.specification.shape, on: geometry)
                    }
                } catch let error as GridGeometryError {
                    problems.append(error.polytopeError.message)
                } catch let error as GridSelectionError {
                    problems.append(error.userMessage)
                }
            }
            if let plan = try? CoveragePlan(layout: query.specification.layout, fields: fields.map(\.keys)),
                let message = Self.differentGridsMessage(plan: plan, fields: fields, grid: { layouts[fields[$0].field.key]?.grid })
            {
                problems.append(message)
            }
            return problems
        } catch let error as GribArchiveError {
            return [error.polytopeError.message]
        } catch let error as PolytopeError {
            return [error.message]
        } catch {
            return ["the archive cannot be read: \(error)"]
        }
    }

    /// `3 fields not in the archive: ...`, counting the spanned values no field has; nil when
    /// nothing is missing.
    static func missingMessage(plan: RetrievalPlan, missingValues: [String], found: Int) -> String? {
        var parts: [String] = []
        if let message = plan.missingMessage { parts.append(message) }
        // With combinations missing and nothing found, every spanned value is missing too:
        // saying so would only repeat it.
        if !missingValues.isEmpty, plan.missing.isEmpty || found > 0 {
            let listed = missingValues.prefix(RetrievalPlan.listedMissingLimit).joined(separator: ", ")
            let more =
                missingValues.count > RetrievalPlan.listedMissingLimit ? " (and \(missingValues.count - RetrievalPlan.listedMissingLimit) more)" : ""
            parts.append("the feature's range asks for values the archive does not have: \(listed)\(more)")
        }
        if parts.isEmpty, found == 0 { parts.append("no archived field matches the request and the feature's range") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    static func noGridMessage(field: ArchivedFieldKeys, layout: FieldLayout) -> String {
        "field \(field.field.key) is on a grid of type '\(layout.gridType)'; features are cut from regular_ll, regular_gg and reduced_gg grids"
    }

    /// A `features` datasource from its configuration entry; nil (with every problem reported
    /// under its key path) when the entry cannot work.
    static func read(_ options: ConfigReader) -> FeaturesDatasource? {
        guard let root = options.string("root"), !root.isEmpty else {
            options.report("a features datasource needs 'root', the directory of a GRIB archive (the root of a grib-archive datasource)")
            return nil
        }
        var configuration = Configuration(root: root)
        configuration.maxFields = options.int("max-fields", default: configuration.maxFields, range: 1...1_000_000)
        configuration.maxLookups = options.int("max-lookups", default: configuration.maxLookups, range: 1...100_000_000)
        configuration.maxPoints = options.int("max-points", default: configuration.maxPoints, range: 1...1_000_000)
        configuration.maxAreaSquareKilometres = options.int("max-area", range: 1...1_000_000_000)
        configuration.maxValues = options.int("max-values", default: configuration.maxValues, range: 1...1_000_000_000)
        configuration.decodedFieldCacheBytes = Int(
            options.byteCount("decoded-cache-size", default: Int64(configuration.decodedFieldCacheBytes)))
        if let keys = options.strings("required-keys", splitOnSlash: true) {
            configuration.requiredKeys = keys.map { $0.lowercased() }
        }
        return FeaturesDatasource(configuration: configuration)
    }
}
