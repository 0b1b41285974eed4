/// The configured collections, in configuration order.
package struct CollectionCatalog: Sendable {
    package private(set) var collections: [CollectionDefinition]

    package init(_ collections: [CollectionDefinition]) {
        self.collections = collections
    }

    package subscript(name: String) -> CollectionDefinition? {
        collections.first { $0.name == name }
    }

    /// The names of the collections `user` may use.
    package func names(visibleTo user: User) -> [String] {
        collections.filter { $0.admits(user) }.map(\.name)
    }

    /// Limits per collection, as the broker needs them.
    package var limits: [String: CollectionLimits] {
        Dictionary(collections.map { ($0.name, $0.limits) }, uniquingKeysWith: { first, _ in first })
    }
}
