import MarsLanguage
import OutboundHTTP
import PolytopeConfig

extension HTTPDatasource {
    /// An `http` datasource from its configuration entry; nil (with every problem reported
    /// under its key path) when the entry cannot work.
    static func read(_ options: ConfigReader, http: SharedHTTPClient) -> HTTPDatasource? {
        guard let url = options.string("url") else {
            options.report("an http datasource needs 'url', the URL template of its files (such as http://host/{date}/{step}.grib2)")
            return nil
        }
        var configuration = Configuration(url: url)
        configuration.indexURL = options.string("index-url")
        configuration.layout = options.choice("layout", ["plain": .plain, "open-data": .openData], default: .plain)
        configuration.contentType = options.string("content-type", default: configuration.contentType)
        configuration.timeout = options.duration("timeout", default: configuration.timeout, minimum: .milliseconds(1))
        configuration.retries = options.int("retries", default: configuration.retries, range: 0...20)
        configuration.minimumSpeed = options.byteCount("min-speed", default: configuration.minimumSpeed)
        configuration.backoff = options.duration("backoff", default: configuration.backoff)
        configuration.maxConcurrent = options.int("max-concurrent", default: configuration.maxConcurrent, range: 1...64)
        configuration.missing = options.choice("missing", ["fail": .fail, "skip": .skip], default: .fail)
        configuration.parameterNames = options.choice("param-names", ["short-name": .shortName, "id": .id], default: .shortName)
        configuration.maxFields = options.int("max-fields", default: configuration.maxFields, range: 1...10_000_000)
        if let keys = options.strings("index-keys", splitOnSlash: true) {
            configuration.indexKeys = keys.map { $0.lowercased() }
            if configuration.layout != .openData { options.report("only the open-data layout reads indexes", key: "index-keys") }
        }
        if configuration.indexURL != nil, configuration.layout != .openData {
            options.report("only the open-data layout reads indexes", key: "index-url")
        }
        if let headers = options.section("headers") {
            for (name, value) in headers.entries() {
                guard let text = value.scalarText else {
                    value.report("expected a text value, found \(value.node.typeDescription)")
                    continue
                }
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }) else {
                    value.report("'\(name)' is not a valid header name")
                    continue
                }
                guard !text.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    value.report("a header value cannot span lines")
                    continue
                }
                configuration.headers[name] = text
            }
        }
        if let values = options.section("url-values") {
            for (key, mapping) in values.entries() {
                guard case .mapping = mapping.node.value else {
                    mapping.report("expected a mapping from request values to URL values, such as {cf: ef, pf: ef}")
                    continue
                }
                for (value, replacement) in mapping.entries() {
                    guard let text = replacement.scalarText else {
                        replacement.report("expected a text value, found \(replacement.node.typeDescription)")
                        continue
                    }
                    configuration.urlValues[key.lowercased(), default: [:]][value] = text
                }
            }
        }
        do {
            return try HTTPDatasource(configuration: configuration, http: http)
        } catch {
            options.report(error.message, key: error.key)
            return nil
        }
    }
}
