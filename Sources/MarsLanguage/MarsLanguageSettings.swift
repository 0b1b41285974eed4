/// How requests are normalised: which kind of value each key holds, which keys accept `all`,
/// how parameters are written, and how many values one request may expand to.
///
/// Keys not listed in `kinds` are kept as written (they still must not repeat a value).
public struct MarsLanguageSettings: Sendable, Hashable {
    /// How `param` values are written in the normalised request.
    public enum ParameterForm: String, Sendable, Hashable, CaseIterable {
        /// The numeric id: `2t` → `167`.
        case id
        /// The short name: `167` → `2t` (ids missing from the table stay numeric).
        case shortName = "short-name"
    }

    /// The kind of each key (lower case).
    public private(set) var kinds: [String: MarsValueKind]
    /// Keys whose only value may be `all` (lower case).
    public private(set) var keysAllowingAll: Set<String>
    /// The most values a request may hold after expanding its ranges, summed over all keys.
    public var maximumValues: Int
    /// How parameters are written.
    public var parameterForm: ParameterForm
    /// The short names and ids that parameters are looked up in.
    public var parameters: ParameterTable
    /// Whether a parameter name missing from `parameters` is kept (in lower case) instead of
    /// being reported as unknown.
    public var acceptsUnknownParameterNames: Bool

    /// The kinds of the usual MARS keys.
    public static let standardKinds: [String: MarsValueKind] = [
        "date": .date, "hdate": .date, "time": .time, "step": .step, "number": .integer, "levelist": .level,
        "expver": .experimentVersion, "param": .parameter,
        "class": .lowercase, "stream": .lowercase, "type": .lowercase, "levtype": .lowercase, "domain": .lowercase,
    ]

    /// The usual MARS keys, no `all`, parameters as ids, at most 100,000 values.
    public static let standard = MarsLanguageSettings()

    public init(
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
    public func kind(of key: String) -> MarsValueKind? { kinds[key.lowercased()] }

    /// Sets (or, with nil, removes) the kind of `key`.
    public mutating func setKind(_ kind: MarsValueKind?, for key: String) { kinds[key.lowercased()] = kind }

    /// Whether `key` accepts `all` as its only value.
    public func allowsAll(for key: String) -> Bool { keysAllowingAll.contains(key.lowercased()) }

    /// Lets `key` accept (or no longer accept) `all`.
    public mutating func setAllowsAll(_ allows: Bool, for key: String) {
        if allows {
            keysAllowingAll.insert(key.lowercased())
        } else {
            keysAllowingAll.remove(key.lowercased())
        }
    }
}
