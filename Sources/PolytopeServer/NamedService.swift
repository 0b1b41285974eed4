import ServiceLifecycle

/// A service as the service group sees it: ServiceLifecycle logs each service it starts and
/// stops (at `debug`) by its description, which for a plain struct is every stored property,
/// the configuration's keys and secrets included. This one describes itself by its type's name.
struct NamedService: Service, CustomStringConvertible {
    let service: any Service

    var description: String { String(describing: type(of: service)) }

    func run() async throws {
        try await service.run()
    }
}
