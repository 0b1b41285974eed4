import PolytopeCore

/// Which collections' figures a telemetry caller may see: an administrator (one of
/// `telemetry.admin-roles`) sees all; another authenticated user those they may use; an
/// anonymous caller none. Hidden collections are only counted in totals, never named.
package struct CollectionVisibility: Sendable {
    private let catalog: CollectionCatalog
    private let caller: User?
    /// Whether the caller is an administrator, who sees every collection and the
    /// deployment's internals (worker pools by name: host, process id).
    package let isAdministrator: Bool

    package init(catalog: CollectionCatalog, adminRoles: [String], caller: User?) {
        self.catalog = catalog
        self.caller = caller
        self.isAdministrator = caller?.hasAnyRole(adminRoles) ?? false
    }

    /// Whether the caller may see figures of `collection` (one no longer configured is
    /// shown to administrators only).
    package func shows(_ collection: String) -> Bool {
        if isAdministrator { return true }
        guard let caller, let definition = catalog[collection] else { return false }
        return definition.admits(caller)
    }
}
