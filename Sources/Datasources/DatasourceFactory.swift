import OutboundHTTP
import PolytopeConfig
import PolytopeCore

/// Builds datasources from their configuration, by `type`.
package struct DatasourceFactory: Sendable {
    /// Builds one datasource from the options of its configuration entry; reports problems
    /// through the reader and returns nil if it cannot be built.
    package typealias Builder = @Sendable (ConfigReader) -> (any Datasource)?

    private var builders: [String: Builder]

    /// A factory that knows the built-in types: `echo`, `dummy`, `raise`, `command`, `http`, `polytope` (federation),
    /// `grib-archive`, `features`.
    /// - Parameter http: the process's HTTP client, for datasources that call out.
    package init(http: SharedHTTPClient = SharedHTTPClient()) {
        builders = [
            "echo": { _ in EchoDatasource() },
            "dummy": { options in
                let rate = options.contains("rate") ? options.byteCount("rate", default: 0) : nil
                if let rate, rate <= 0 { options.report("expected a positive number of bytes per second", key: "rate") }
                return DummyDatasource(
                    maximumSize: options.byteCount("max-size", default: 10 * 1 << 30), bytesPerSecond: rate.flatMap { $0 > 0 ? $0 : nil })
            },
            "raise": { options in
                RaiseDatasource(message: options.string("message", default: "This datasource always fails (type raise)."))
            },
            "command": { options in CommandConfiguration.read(from: options).map { CommandDatasource(configuration: $0) } },
            "http": { options in HTTPDatasource.read(options, http: http) },
            "polytope": { options in PolytopeServerDatasource.read(options, http: http) },
            "grib-archive": { options in GribArchiveDatasource.read(options) },
            "features": { options in FeaturesDatasource.read(options) },
        ]
    }

    /// Adds (or replaces) a type.
    package mutating func register(type: String, _ builder: @escaping Builder) {
        builders[type] = builder
    }

    package var types: [String] { builders.keys.sorted() }

    /// Builds a datasource of `type`; nil (with a reported problem) for an unknown type.
    package func make(type: String, options: ConfigReader) -> (any Datasource)? {
        guard let builder = builders[type] else {
            options.report("unknown datasource type '\(type)'; known types: \(types.joined(separator: ", "))", key: "type")
            return nil
        }
        return builder(options)
    }
}
