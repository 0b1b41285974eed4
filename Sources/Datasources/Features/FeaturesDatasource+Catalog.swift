import FeatureExtraction
import Foundation
import GribArchive
import PolytopeCore

extension FeaturesDatasource: FeatureDatasource {
    /// The parameters (named and described as the CoverageJSON answers name them), dates,
    /// times and levels of the archive, from its index's catalog.
    package func featureCatalog() async throws -> FeatureCatalog {
        let values = try await opener.archive().archivedValues(of: ["param", "date", "time", "levelist"])
        let table = ParameterDescriptions.standard
        var parameters: [String: FeatureCatalog.Parameter] = [:]
        for param in values["param"] ?? [] {
            let entry = table.entry(forParam: param)
            parameters[entry.shortName] = FeatureCatalog.Parameter(
                name: entry.shortName, label: entry.name, unit: entry.unit, description: entry.description)
        }
        let numeric = { (text: String) in Double(text) ?? .infinity }
        return FeatureCatalog(
            parameters: parameters.values.sorted { $0.name < $1.name },
            dates: (values["date"] ?? []).sorted(),
            times: (values["time"] ?? []).sorted(),
            levels: (values["levelist"] ?? []).sorted { (numeric($0), $0) < (numeric($1), $1) })
    }
}
