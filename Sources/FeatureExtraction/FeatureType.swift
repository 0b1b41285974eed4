/// The kinds of feature a request's `feature.type` can name (polytope-mars 0.3.14's list).
package enum FeatureType: String, CaseIterable, Hashable, Sendable {
    case position
    case timeseries
    case verticalprofile
    case boundingbox
    case polygon
    case trajectory
    case circle
    case frame
    case shapefile

    /// The names, in the order the error messages list them.
    package static var knownNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
