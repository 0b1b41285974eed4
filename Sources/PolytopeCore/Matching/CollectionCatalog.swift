/// The configured collections, in configuration order.
public struct CollectionCatalog: Sendable {
    public private(set) var collections: [CollectionDefinition]

    public init(_ collections: [CollectionDefinition]) {
        self.collections = collections
    }

    public subscript(name: String) -> CollectionDefinition? {
        collections.first { $0.name == name }
    }

    /// The names of the collections `user` may use.
    public func names(visibleTo user: User) -> [String] {
        collections.filter { $0.admits(user) }.map(\.name)
    }

    /// Limits per collection, as the broker needs them.
    public var limits: [String: CollectionLimits] {
        Dictionary(collections.map { ($0.name, $0.limits) }, uniquingKeysWith: { first, _ in first })
    }
}
