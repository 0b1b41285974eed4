/// How requests are normalised: which kind of value each key holds, which keys accept `all`,
/// how parameters are written, and how many values one request may expand to.
///
/// Keys not listed in `kinds` are kept as written (they still must not repeat a value).
package struct MarsLanguageSettings: Sendable, Hashable {
    /// How `param` values are written in the normalised request.
    package enum ParameterForm: String, Sendable, Hashable, CaseIterable {
        /// The numeric id: `2t` → `167`.
        case id
        /// The short name: `167` → `2t` (ids missing from the table stay numeric).
        case shortName = "short-name"
    }

    /// The kind of each key (lower case).
    package private(set) var kinds: [String: MarsValueKind]
    /// Keys whose only value may be `all` (lower case).
    package private(set) var keysAllowingAll: Set<String>
    /// The most values a request may hold after expanding its ranges, summed over all keys.
    package var maximumValues: Int
    /// How parameters are written.
    package var parameterForm: ParameterForm
    /// The short names and ids that parameters are looked up in.
    package var parameters: ParameterTable
    /// Whether a parameter name missing from `parameters` is kept (in lower case) instead of
    /// being reported as unknown.
    package var acceptsUnknownParameterNames: Bool

    /// The kinds of the usual MARS keys.
    package static let standardKinds: [String: MarsValueKind] = [
        "date": .date, "hdate": .date, "time": .time, "step": .step, "number": .integer, "levelist": .level,
        "expver": .experimentVersion, "param": .parameter,
        "class": .lowercase, "stream": .lowercase, "type": .lowercase, "levtype": .lowercase, "domain": .lowercase,
    ]

    /// The usual MARS keys, no `all`, parameters as ids, at most 100,000 values.
    package static let standard = MarsLanguageSettings()

    package init(
        kinds: [String: MarsValueKind] = Self.standardKinds,
        keysAllowingAll: Set<String> = [],
        maximumValues: Int = 100_000,
        parameterForm: ParameterForm = .id,
        parameters: ParameterTable = .standard,
        acceptsUnknownParameterNames: Bool = false
    ) {
        self.kinds = Dictionary(kinds.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.keysAllowingAll = Set(keysAllowingAll.map { $0.lowercased() })
        self.maximumValues = maximumValues
        self.parameterForm = parameterForm
        self.parameters = parameters
        self.acceptsUnknownParameterNames = acceptsUnknownParameterNames
    }

    /// The kind of `key`; nil when its values are kept as written.
    package func kind(of key: String) -> MarsValueKind? { kinds[key.lowercased()] }

    /// Sets (or, with nil, removes) the kind of `key`.
    package mutating func setKind(_ kind: MarsValueKind?, for key: String) { kinds[key.lowercased()] = kind }

    /// Whether `key` accepts `all` as its only value.
    package func allowsAll(for key: String) -> Bool { keysAllowingAll.contains(key.lowercased()) }

    /// Lets `key` accept (or no longer accept) `all`.
    package mutating func setAllowsAll(_ allows: Bool, for key: String) {
        if allows {
            keysAllowingAll.insert(key.lowercased())
        } else {
            keysAllowingAll.remove(key.lowercased())
        }
    }
}
