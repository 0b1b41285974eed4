/// A request's `feature` block, parsed and validated: what to cut out of each field and how to
/// lay out the answer.
///
/// Built by `FeatureParser.parse`. The spatial part (`shape`) is turned into grid points by
/// `GridSelector`; the field part (`stepSpan`, `levelSpan`) tells the datasource which fields
/// beyond the request's MARS keys the feature asks for.
package struct FeatureSpecification: Hashable, Sendable {
    package var type: FeatureType
    package var shape: FeatureShape
    package var layout: CoverageLayout
    /// Steps the feature asks for itself (a timeseries' `range` on `step`): every step of the
    /// data in the span. Nil when the request's `step` key says which.
    package var stepSpan: ValueSpan?
    /// Dates the feature asks for itself (a timeseries' `range` on `date`, as YYYYMMDD numbers).
    package var dateSpan: ValueSpan?
    /// Levels the feature asks for itself (a vertical profile's `range`, or the levels of a
    /// 3-D box or path): every level of the data in the span.
    package var levelSpan: ValueSpan?
    /// The area the shape covers on the sphere in km² (boxes, polygons, circles), as checked
    /// against `FeatureLimits.maxAreaSquareKilometres`.
    package var areaSquareKilometres: Double?

    package init(
        type: FeatureType, shape: FeatureShape, layout: CoverageLayout, stepSpan: ValueSpan? = nil, dateSpan: ValueSpan? = nil,
        levelSpan: ValueSpan? = nil, areaSquareKilometres: Double? = nil
    ) {
        self.type = type
        self.shape = shape
        self.layout = layout
        self.stepSpan = stepSpan
        self.dateSpan = dateSpan
        self.levelSpan = levelSpan
        self.areaSquareKilometres = areaSquareKilometres
    }

    /// The MARS keys the feature fills in for the request, as MARS text (`step: 0/to/48/by/6`),
    /// for a datasource that expands ranges against its archive.
    package var impliedRequestKeys: [String: String] {
        var keys: [String: String] = [:]
        if let stepSpan { keys["step"] = stepSpan.marsText }
        if let dateSpan { keys["date"] = dateSpan.marsText }
        if let levelSpan { keys["levelist"] = levelSpan.marsText }
        return keys
    }
}
