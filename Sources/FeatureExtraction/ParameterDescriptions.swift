import PolytopeCore

/// What covjsonkit writes about each parameter of an answer: short name (the key of its range),
/// name (the label), unit symbol and description, by ECMWF parameter id.
package struct ParameterDescriptions: Hashable, Sendable {
    /// One parameter.
    package struct Entry: Hashable, Sendable {
        package var id: Int
        package var shortName: String
        package var name: String
        package var unit: String
        package var description: String

        package init(id: Int, shortName: String, name: String, unit: String, description: String) {
            self.id = id
            self.shortName = shortName
            self.name = name
            self.unit = unit
            self.description = description
        }
    }

    private var byID: [Int: Entry]
    private var byShortName: [String: Entry]

    package init(entries: [Entry]) {
        byID = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        byShortName = Dictionary(entries.map { ($0.shortName, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The common surface and pressure-level parameters of ECMWF's forecasts (2t, 10u, 10v,
    /// msl, tp, tcc, t, u, v, q, z, r and some fifty more), with covjsonkit's texts.
    package static let standard = ParameterDescriptions(entries: standardPart1 + standardPart2 + standardPart3 + standardPart4)

    /// The entry for a MARS `param` value: an id (`167`), an id with its table (`167.128`,
    /// `29.228` → 228029) or a short name (`2t`). Unknown parameters get an entry that uses
    /// the value as short name and label, with unit "unknown" (covjsonkit fails on them).
    package func entry(forParam param: String) -> Entry {
        let id = ParamID.parse(param)
        if let id, let entry = byID[id] { return entry }
        if let entry = byShortName[param] { return entry }
        return Entry(
            id: id ?? 0, shortName: id.map(String.init) ?? param, name: id.map { "Parameter \($0)" } ?? param, unit: "unknown",
            description: "")
    }
}
