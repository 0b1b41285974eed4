import PolytopeCore

/// The features answered at the grid point nearest to each requested point.
extension FeatureParsing {
    /// `{"type": "position", "points": [[lat, lon], ...], "axes"?}`.
    mutating func parsePosition(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(of: block, allowed: ["type", "points", "axes"], hints: ["axis": "axes", "point": "points"], at: "feature")
        var order: (latitude: Int, longitude: Int)? = (0, 1)
        if let axes = block["axes"] {
            if let names = reader.names(axes, at: "feature.axes"), names == ["step"] || names == ["date"] {
                reader.report("feature.axes", "a position has no time axis; axes must be latitude and longitude")
                order = nil
            } else {
                order = latitudeLongitudeOrder(axes, at: "feature.axes")
            }
        }
        guard let points = nearestPoints(block["points"], order: order) else { return nil }
        return FeatureSpecification(type: .position, shape: .nearestPoints(points), layout: .position)
    }

    /// `{"type": "timeseries", "points", "time_axis", "range"?, "axes"?}`; the time axis' values
    /// come from the request or from `range`, never both.
    mutating func parseTimeseries(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(
            of: block, allowed: ["type", "points", "time_axis", "range", "axes"],
            hints: ["axis": "axes", "point": "points", "timeaxis": "time_axis", "time-axis": "time_axis"], at: "feature")
        var timeAxisName: String?
        var order: (latitude: Int, longitude: Int)? = (0, 1)
        if let axes = block["axes"] {
            // Before time_axis existed, `axes: step` named the time axis; polytope-mars still takes it.
            if case .string("step") = axes {
                timeAxisName = "step"
            } else if let names = reader.names(axes, at: "feature.axes") {
                if let timeName = names.first(where: { ["step", "date", "month"].contains($0) }) {
                    reader.report("feature.axes", "'\(timeName)' is not a spatial axis; name the time axis in 'time_axis'")
                    order = nil
                } else {
                    order = latitudeLongitudeOrder(axes, at: "feature.axes")
                }
            } else {
                order = nil
            }
        }
        if let value = block["time_axis"] {
            timeAxisName = reader.string(value, at: "feature.time_axis")
        } else if timeAxisName == nil {
            reader.report("feature.time_axis", "missing (the timeseries' time axis is required, for example \"step\")")
        }
        var timeAxis: CoverageLayout.TimeAxis?
        if let timeAxisName {
            if let axis = CoverageLayout.TimeAxis(rawValue: timeAxisName) {
                timeAxis = axis
            } else if ["month", "year", "hdate"].contains(timeAxisName) {
                reader.report("feature.time_axis", "time axis '\(timeAxisName)' is not supported by this server (supported: step, date)")
            } else {
                reader.report("feature.time_axis", "unknown time axis '\(timeAxisName)' (expected one of step, date, month, year, hdate)")
            }
        }
        var span: ValueSpan?
        if let range = block["range"] {
            span = self.span(range, at: "feature.range", minimum: 0)
        }
        if let timeAxis {
            let named = context.names(timeAxis.rawValue)
            if named, block["range"] != nil {
                reader.report(
                    "feature.range",
                    "the time axis '\(timeAxis.rawValue)' is overspecified: the request gives '\(timeAxis.rawValue)' and the feature a range; keep one"
                )
            } else if !named, block["range"] == nil {
                reader.report(
                    "feature.range",
                    "the time axis '\(timeAxis.rawValue)' is underspecified: give '\(timeAxis.rawValue)' in the request or a range in the feature"
                )
            }
        }
        guard let points = nearestPoints(block["points"], order: order), let timeAxis else { return nil }
        return FeatureSpecification(
            type: .timeseries, shape: .nearestPoints(points), layout: .pointSeries(timeAxis: timeAxis),
            stepSpan: timeAxis == .step ? span : nil, dateSpan: timeAxis == .date ? span : nil)
    }

    /// `{"type": "verticalprofile", "points", "axes"?: "levelist", "range"?}`; levels come from
    /// the request's `levelist` or from `range`, never both.
    mutating func parseVerticalProfile(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(of: block, allowed: ["type", "points", "axes", "range"], hints: ["axis": "axes", "point": "points"], at: "feature")
        var order: (latitude: Int, longitude: Int)? = (0, 1)
        if let axes = block["axes"] {
            if let names = reader.names(axes, at: "feature.axes") {
                let spatial = names.filter { $0 != "levelist" }
                if !names.contains("levelist") {
                    reader.report("feature.axes", "a vertical profile runs along 'levelist'; found \(names)")
                    order = nil
                } else if !spatial.isEmpty {
                    order = latitudeLongitudeOrder(.array(spatial.map { .string($0) }), at: "feature.axes")
                }
            } else {
                order = nil
            }
        }
        var span: ValueSpan?
        if let range = block["range"] { span = self.span(range, at: "feature.range") }
        if context.names("levelist"), block["range"] != nil {
            reader.report("feature.range", "levels are overspecified: the request gives 'levelist' and the feature a range; keep one")
        } else if !context.names("levelist"), block["range"] == nil {
            reader.report("feature.range", "levels are underspecified: give 'levelist' in the request or a range in the feature")
        }
        guard let points = nearestPoints(block["points"], order: order) else { return nil }
        return FeatureSpecification(type: .verticalprofile, shape: .nearestPoints(points), layout: .verticalProfile, levelSpan: span)
    }

    /// The points of a nearest-point feature, each `[lat, lon]` (or in `axes` order).
    private mutating func nearestPoints(_ value: JSONValue?, order: (latitude: Int, longitude: Int)?) -> [GeoPoint]? {
        let hint = order.map { $0.latitude == 0 ? "[latitude, longitude]" : "[longitude, latitude]" } ?? "[latitude, longitude]"
        guard let coordinates = reader.points(value, at: "feature.points", dimensions: 2, axesHint: hint) else { return nil }
        checkPointCount(coordinates.count, at: "feature.points")
        guard let order else { return nil }
        return geoPoints(coordinates, latitude: order.latitude, longitude: order.longitude, at: "feature.points")
    }
}
