import PolytopeCore

/// Short names and numeric ids of parameters (ECMWF paramId), looked up without regard to case.
///
/// `standard` holds the most used ECMWF parameters; operators add their own with `adding`.
/// A name maps to one id; an id to the first name given for it.
package struct ParameterTable: Sendable, Hashable {
    /// One parameter: its short name and its ECMWF paramId.
    package struct Entry: Sendable, Hashable {
        package var shortName: String
        package var id: Int

        package init(shortName: String, id: Int) {
            self.shortName = shortName
            self.id = id
        }
    }

    private var idsByName: [String: Int] = [:]
    private var namesByID: [Int: String] = [:]

    /// A table of `entries`; a later entry with the same name replaces the earlier one.
    package init(_ entries: [Entry]) {
        for entry in entries { insert(entry) }
    }

    /// The table with `entries` added (replacing entries of the same name).
    package func adding(_ entries: [Entry]) -> ParameterTable {
        var table = self
        for entry in entries { table.insert(entry) }
        return table
    }

    /// The id of a short name (`2t` → 167), case-insensitive.
    package func id(of shortName: String) -> Int? { idsByName[shortName.lowercased()] }

    /// The short name of an id (167 → `2t`).
    package func shortName(of id: Int) -> String? { namesByID[id] }

    /// Every entry, ordered by id.
    package var entries: [Entry] {
        idsByName.map { Entry(shortName: $0.key, id: $0.value) }.sorted { ($0.id, $0.shortName) < ($1.id, $1.shortName) }
    }

    /// The id a parameter is written as: a name from the table, a paramId (`167`), or
    /// `parameter.table` as in GRIB 1 (`167.128` → 167, `246.228` → 228246). Nil when unknown.
    package func resolve(_ text: String) -> Int? {
        let text = text.lowercased()
        return idsByName[text] ?? ParamID.parse(text)
    }

    private mutating func insert(_ entry: Entry) {
        let name = entry.shortName.lowercased()
        idsByName[name] = entry.id
        if namesByID[entry.id] == nil { namesByID[entry.id] = name }
    }
}
