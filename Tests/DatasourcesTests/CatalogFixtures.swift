import Datasources
import PolytopeConfig
import PolytopeCore

/// The catalog a YAML configuration describes, with the problems its reading reported.
func readCatalog(_ yaml: String) throws -> (CollectionCatalog, [String]) {
    let root = try ConfigLoader(environment: [:]).parse(yaml: yaml, file: "test.yaml")
    let reader = ConfigReader(root: root)
    let catalog = CollectionCatalogReader().read(collections: reader.section("collections"), sharedDatasources: reader.section("datasources"))
    do {
        try reader.finish()
        return (catalog, [])
    } catch let error as ConfigError {
        return (catalog, error.issues.map(\.description))
    }
}
