import Foundation
import MarsLanguage
import NIOCore
import NIOHTTP1
import OutboundHTTP
import PolytopeCore

/// Fetches fields from a data portal over HTTP (type `http`), with URLs built from the
/// request: `http://host/{date}/{time:HH}z/ifs/0p25/oper/{date}{time:HH}0000-{step}h-oper-fc.grib2`.
///
/// Two layouts: `plain` GETs the file of every combination of the URL's keys and returns
/// them one after another; `open-data` (ECMWF open data) reads each file's `.index`, picks
/// the requested fields and fetches just their bytes with range requests, in request order.
/// Requests are normalised as MARS requests first (dates `YYYYMMDD`, times `HHMM`, steps
/// `6`, parameters by short name), whatever the collection's language. Results stream to
/// the sink in chunks of at most 1 MiB; memory does not grow with the result.
package struct HTTPDatasource: Datasource {
    /// How the portal's files are organised.
    package enum Layout: String, Sendable, Hashable, CaseIterable {
        /// One file per combination of the URL's keys, returned whole.
        case plain
        /// ECMWF open data: files of many fields, each with a JSON-lines `.index`.
        case openData = "open-data"
    }

    /// What to do when some requested fields do not exist.
    package enum MissingFields: String, Sendable, Hashable, CaseIterable {
        /// Fail the request, naming the missing fields.
        case fail
        /// Return the fields that exist (fail only when none does).
        case skip
    }

    /// The options of an `http` datasource (see docs/configuration.md).
    package struct Configuration: Sendable {
        /// The URL template of the data files.
        package var url: String
        /// The URL template of the index files; nil: the data URL with `.index` as extension.
        package var indexURL: String?
        package var layout: Layout = .plain
        package var contentType = "application/x-grib"
        /// How long one attempt may wait for the portal's answer.
        package var timeout: Duration = .seconds(30)
        /// The least a body must average in bytes per second over each `timeout` (0: no floor).
        package var minimumSpeed: Int64 = 16 << 10
        /// How many times a failed request is tried again (so at most `retries + 1` attempts).
        package var retries = 3
        /// The pause before the first retry, doubled for each further one (at most 30 s).
        package var backoff: Duration = .seconds(1)
        /// Headers sent with every request (credentials); never logged nor shown.
        package var headers: [String: String] = [:]
        /// The most index and range requests in flight at once.
        package var maxConcurrent = 4
        package var missing: MissingFields = .fail
        /// How `param` is written in URLs and compared with indexes.
        package var parameterNames: MarsLanguageSettings.ParameterForm = .shortName
        /// The request keys compared with the index (open-data layout).
        package var indexKeys: [String] = Self.openDataIndexKeys
        /// Replacements of request values in URLs, by key: `{type: {cf: ef, pf: ef}}`.
        package var urlValues: [String: [String: String]] = [:]
        /// The most fields (open-data) or files (plain) one request may ask for.
        package var maxFields = 100_000

        /// The keys of ECMWF open-data indexes.
        package static let openDataIndexKeys = [
            "class", "domain", "expver", "stream", "type", "date", "time", "step", "fcmonth", "levtype", "levelist", "param", "number",
        ]

        package init(url: String) {
            self.url = url
        }
    }

    /// A configuration that cannot work: the option at fault and why.
    package struct ConfigurationProblem: Error, Sendable {
        package var key: String
        package var message: String
    }

    package let configuration: Configuration
    let template: URLTemplate
    let indexTemplate: URLTemplate?
    let normaliser: MarsRequestNormaliser
    let client: DataPortalClient
    let clock: any WallClock
    /// The largest range request of the open-data layout.
    var partLength: Int64 = 4 << 20

    /// - Throws: `ConfigurationProblem` for a URL template that cannot be used.
    /// - Parameter http: the process's HTTP client.
    package init(configuration: Configuration, http: SharedHTTPClient = SharedHTTPClient(), clock: any WallClock = SystemWallClock())
        throws(ConfigurationProblem)
    {
        var settings = MarsLanguageSettings.standard
        settings.parameterForm = configuration.parameterNames
        settings.acceptsUnknownParameterNames = true
        settings.maximumValues = max(configuration.maxFields, settings.maximumValues)
        normaliser = MarsRequestNormaliser(settings: settings)
        template = try Self.template(configuration.url, key: "url", settings: settings)
        if let indexURL = configuration.indexURL {
            indexTemplate = try Self.template(indexURL, key: "index-url", settings: settings)
        } else {
            indexTemplate = nil
        }
        var headers = HTTPHeaders()
        for (name, value) in configuration.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        client = DataPortalClient(
            shared: http, headers: headers, timeout: configuration.timeout, retries: configuration.retries,
            backoff: configuration.backoff, minimumSpeed: configuration.minimumSpeed)
        self.configuration = configuration
        self.clock = clock
    }

    package func contentType(for request: DatasourceRequest) -> String { configuration.contentType }

    package func rejection(of request: DatasourceRequest) -> String? {
        switch prepare(request, now: clock.now()) {
        case .success: return nil
        case .failure(let error): return error.message
        }
    }

    package func retrieve(_ request: DatasourceRequest, into output: some ByteSink) async throws {
        let prepared = try prepare(request, now: clock.now()).get()
        switch configuration.layout {
        case .plain: try await retrievePlain(prepared, into: output, tellUser: request.tellUser)
        case .openData: try await retrieveOpenData(prepared, into: output, tellUser: request.tellUser)
        }
    }

    // MARK: The request

    /// A request ready to fetch: the fields it asks for and the files they are in.
    struct PreparedRequest: Sendable {
        /// The keys that select fields (open-data: the URL's keys and the index keys the
        /// request gives; plain: the URL's keys), with their values.
        var selection: FieldSelection
        /// The URL's keys with their values.
        var urlSelection: FieldSelection
        /// For each key of `urlSelection`, its index in `selection`.
        var urlKeyIndices: [Int]
        var now: Date
    }

    /// One file to fetch, and the combinations of the URL's keys that give its URL.
    struct DataFile: Sendable {
        var url: String
        var urlOrdinals: [Int]
    }

    func prepare(_ request: DatasourceRequest, now: Date) -> Result<PreparedRequest, PolytopeError> {
        guard request.verb == .retrieve else {
            return .failure(.invalidRequest("this datasource only retrieves data (verb '\(request.verb.rawValue)' is not supported)"))
        }
        let normalised: NormalisedRequest
        do {
            normalised = try normaliser.normalise(request.document, now: now)
        } catch {
            return .failure(error.polytopeError)
        }
        let urlKeys = template.keys + (indexTemplate?.keys ?? []).filter { !template.keys.contains($0) }
        let absent = urlKeys.filter { normalised[$0] == nil }
        guard absent.isEmpty else {
            return .failure(.missingKeys(absent, because: "this datasource builds its URLs from \(urlKeys.joined(separator: ", "))"))
        }
        let fields = normalised.fields.map { (key: $0.key, values: $0.values) }
        let selectionKeys = Set(urlKeys + (configuration.layout == .openData ? configuration.indexKeys : []))
        let selection = FieldSelection(fields) { selectionKeys.contains($0) }
        let urlSelection = FieldSelection(fields) { urlKeys.contains($0) }
        let asked = configuration.layout == .openData ? selection.count : urlSelection.count
        guard asked <= configuration.maxFields else {
            let what = configuration.layout == .openData ? "fields" : "files"
            let count = asked == Int.max ? "too many" : "\(asked)"
            return .failure(
                .invalidRequest(
                    "the request asks for \(count) \(what); this datasource serves at most \(configuration.maxFields) in one request; split the request"
                ))
        }
        let urlKeyIndices = urlSelection.keys.map { selection.index(of: $0)! }
        return .success(PreparedRequest(selection: selection, urlSelection: urlSelection, urlKeyIndices: urlKeyIndices, now: now))
    }

    /// The data files of a request, each once, in request order.
    func dataFiles(_ prepared: PreparedRequest) -> [DataFile] {
        var files: [DataFile] = []
        var indexByURL: [String: Int] = [:]
        for ordinal in 0..<prepared.urlSelection.count {
            let url = expand(template, prepared.urlSelection.valuesByKey(ordinal))
            if let index = indexByURL[url] {
                files[index].urlOrdinals.append(ordinal)
            } else {
                indexByURL[url] = files.count
                files.append(DataFile(url: url, urlOrdinals: [ordinal]))
            }
        }
        return files
    }

    /// The index URL of a data file.
    func indexURL(of file: DataFile, _ prepared: PreparedRequest) -> String {
        guard let indexTemplate else { return URLTemplate.indexURL(ofDataURL: file.url) }
        return expand(indexTemplate, prepared.urlSelection.valuesByKey(file.urlOrdinals[0]))
    }

    private func expand(_ template: URLTemplate, _ values: [String: String]) -> String {
        var values = values
        for (key, value) in values {
            if let replacement = configuration.urlValues[key]?[value] { values[key] = replacement }
        }
        return template.expand(values)
    }

    // MARK: Plain layout

    /// GETs each file in turn, streaming it to `output`. With `missing: fail`, once a file is
    /// missing the others are only checked (HEAD), so the message lists every missing one.
    private func retrievePlain(
        _ prepared: PreparedRequest, into output: some ByteSink, tellUser: (@Sendable (String) async -> Void)?
    ) async throws {
        var missing: [Int] = []
        var found = 0
        for file in dataFiles(prepared) {
            try Task.checkCancellation()
            if !missing.isEmpty, configuration.missing == .fail {
                if try await !client.exists(file.url) { missing += file.urlOrdinals }
                continue
            }
            switch try await client.get(file.url, into: { try await output.write($0) }) {
            case .found: found += 1
            case .notFound: missing += file.urlOrdinals
            }
        }
        if !missing.isEmpty, configuration.missing == .fail || found == 0 {
            throw PolytopeError(.notFound, prepared.urlSelection.missingMessage(missing.sorted()))
        }
        if !missing.isEmpty { await tellUser?("Left out: " + prepared.urlSelection.missingMessage(missing.sorted())) }
    }

    // MARK: Helpers

    private static func template(_ text: String, key: String, settings: MarsLanguageSettings) throws(ConfigurationProblem) -> URLTemplate {
        let template: URLTemplate
        do {
            template = try URLTemplate(text, kind: settings.kind(of:))
        } catch {
            throw ConfigurationProblem(key: key, message: error.message)
        }
        let sample = template.expand(Dictionary(uniqueKeysWithValues: template.keys.map { ($0, "x") }))
        guard let url = URLComponents(string: sample), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false
        else {
            throw ConfigurationProblem(key: key, message: "expected an http:// or https:// URL, found \"\(URLTemplate.displayed(text))\"")
        }
        return template
    }

    /// Writes `buffer` to `output` in chunks of at most 1 MiB.
    static func write(_ buffer: ByteBuffer, to output: some ByteSink) async throws {
        var buffer = buffer
        while buffer.readableBytes > 0 {
            try await output.write(buffer.readSlice(length: min(buffer.readableBytes, DataPortalClient.chunkLength))!)
        }
    }
}
