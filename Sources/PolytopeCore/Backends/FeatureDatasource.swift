/// A datasource that answers feature requests (a MARS request with a polytope-mars `feature`
/// block) with CoverageJSON; the OGC API - EDR front serves the collections that have one.
package protocol FeatureDatasource: Datasource {
    /// What the datasource's archive holds, read from its index (no field is read), for the
    /// EDR collection metadata.
    func featureCatalog() async throws -> FeatureCatalog
}

/// The parameters, dates, times and levels a feature datasource's archive holds, as MARS
/// writes them (`date` `YYYYMMDD`, `time` `HHMM`), each sorted.
package struct FeatureCatalog: Sendable, Hashable {
    /// One parameter: the name CoverageJSON answers use for it (`2t`) and its description.
    package struct Parameter: Sendable, Hashable {
        /// The short name (`2t`), the key of the answer's `ranges`.
        package var name: String
        /// The human-readable name (`2 metre temperature`).
        package var label: String
        /// The unit's symbol (`K`).
        package var unit: String
        package var description: String

        package init(name: String, label: String, unit: String, description: String) {
            self.name = name
            self.label = label
            self.unit = unit
            self.description = description
        }
    }

    package var parameters: [Parameter]
    package var dates: [String]
    package var times: [String]
    /// `levelist` values (empty for surface-only archives).
    package var levels: [String]

    package init(parameters: [Parameter] = [], dates: [String] = [], times: [String] = [], levels: [String] = []) {
        self.parameters = parameters
        self.dates = dates
        self.times = times
        self.levels = levels
    }
}
