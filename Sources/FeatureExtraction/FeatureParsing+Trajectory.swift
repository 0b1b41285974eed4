import PolytopeCore

/// The trajectory feature: grid points within an inflation around a path.
extension FeatureParsing {
    /// The axes a trajectory's points may carry (polytope-mars' `valid_axes`).
    static let trajectoryAxes = ["latitude", "longitude", "levelist", "step"]

    /// `{"type": "trajectory", "points", "inflation", "inflate"?: "round" | "box", "axes"?}`.
    ///
    /// As in polytope-mars, `axes` defaults to `[latitude, longitude, levelist, step]` (so points
    /// without `axes` have four values), `inflation` is one number for every axis or one per
    /// axis, `inflate` defaults to `round`, and round inflation of a 4-D path is refused.
    mutating func parseTrajectory(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(
            of: block, allowed: ["type", "points", "axes", "inflation", "inflate"],
            hints: ["axis": "axes", "point": "points", "radius": "inflation"], at: "feature")
        var axes = Self.trajectoryAxes
        if let value = block["axes"] {
            guard let names = reader.names(value, at: "feature.axes") else { return nil }
            let unknown = names.filter { !Self.trajectoryAxes.contains($0) }
            if !unknown.isEmpty {
                reader.report("feature.axes", "invalid axis '\(unknown[0])', must be one of \(Self.trajectoryAxes.joined(separator: ", "))")
                return nil
            }
            guard (2...4).contains(names.count), Set(names).count == names.count, names.contains("latitude"), names.contains("longitude") else {
                reader.report("feature.axes", "expected 2 to 4 distinct axes including latitude and longitude, found \(names)")
                return nil
            }
            axes = names
        }
        let inflate: Trajectory.Inflate?
        switch block["inflate"] {
        case nil: inflate = .round
        case .string(let name):
            inflate = Trajectory.Inflate(rawValue: name)
            if inflate == nil { reader.report("feature.inflate", "expected 'round' or 'box', found '\(name)'") }
        case let value?:
            reader.report("feature.inflate", "expected 'round' or 'box', found \(FeatureBlockReader.kindName(of: value))")
            inflate = nil
        }
        if inflate == .round, axes.count == 4 {
            reader.report("feature.inflate", "round inflation is not available for a 4-D trajectory; use 'box'")
        }
        let inflation = trajectoryInflation(block["inflation"], axes: axes, inflate: inflate)
        if axes.contains("levelist"), context.names("levelist") {
            reader.report("feature.axes", "levels are overspecified: the request gives 'levelist' and the trajectory's points give levels; keep one")
        }
        if context.hasSeveralValues("step") {
            reader.report("step", "a trajectory takes one step from the request (several are not supported yet)")
        }
        let hint = "[" + axes.joined(separator: ", ") + "]"
        guard let coordinates = reader.points(block["points"], at: "feature.points", dimensions: axes.count, axesHint: hint) else { return nil }
        checkPointCount(coordinates.count, at: "feature.points")
        if coordinates.count < 2 {
            reader.report("feature.points", "a trajectory needs at least two points, found \(coordinates.count)")
        }
        let latitude = axes.firstIndex(of: "latitude")!
        let longitude = axes.firstIndex(of: "longitude")!
        guard let points = geoPoints(coordinates, latitude: latitude, longitude: longitude, at: "feature.points"), coordinates.count >= 2,
            let inflate, let inflation, !(inflate == .round && axes.count == 4)
        else { return nil }
        let level = axes.firstIndex(of: "levelist")
        let step = axes.firstIndex(of: "step")
        let waypoints = zip(points, coordinates).map { point, values in
            Trajectory.Waypoint(point: point, level: level.map { values[$0] }, step: step.map { values[$0] })
        }
        let trajectory = Trajectory(waypoints: waypoints, inflate: inflate, inflation: inflation)
        let area = Self.sweptAreaBound(points, halfWidthDegrees: max(inflation.latitude, inflation.longitude))
        checkArea(area, at: "feature.inflation")
        return FeatureSpecification(
            type: .trajectory, shape: .trajectory(trajectory), layout: .trajectory,
            stepSpan: step.map { Self.span(of: coordinates.map(\.[$0]), widenedBy: inflation.step) },
            levelSpan: level.map { Self.span(of: coordinates.map(\.[$0]), widenedBy: inflation.level) }, areaSquareKilometres: area)
    }

    /// An upper bound of the area a path inflated by `halfWidthDegrees` covers, in km²: each
    /// leg as a rectangle (its length plus both ends' inflation, by twice the inflation),
    /// overlaps counted twice, capped at the sphere's area. Checked against `max-area` so a
    /// trajectory's work is bounded like a polygon's.
    static func sweptAreaBound(_ points: [GeoPoint], halfWidthDegrees: Double) -> Double {
        let radius = SphericalGeometry.earthRadiusKilometres
        let halfWidth = min(halfWidthDegrees, 180) * Double.pi / 180 * radius
        var area = 0.0
        for (start, end) in zip(points, points.dropFirst()) {
            area += (SphericalGeometry.distanceKilometres(start, end) + 2 * halfWidth) * 2 * halfWidth
        }
        return min(area, 4 * Double.pi * radius * radius)
    }

    private mutating func trajectoryInflation(_ value: JSONValue?, axes: [String], inflate: Trajectory.Inflate?) -> Trajectory.Inflation? {
        guard let value else {
            reader.report("feature.inflation", "missing (the inflation around the path is required: one number, or one per axis)")
            return nil
        }
        var perAxis: [Double]
        switch value {
        case .number(let number): perAxis = Array(repeating: number, count: axes.count)
        case .array:
            guard let numbers = reader.coordinates(value, at: "feature.inflation", dimensions: axes.count, axesHint: "(one per axis)") else {
                return nil
            }
            perAxis = numbers
        default:
            reader.report("feature.inflation", "expected a number or a list of numbers, found \(FeatureBlockReader.kindName(of: value))")
            return nil
        }
        if let negative = perAxis.first(where: { !($0 >= 0) }) {
            reader.report("feature.inflation", "must not be negative, found \(GeoPoint.shortText(negative))")
            return nil
        }
        let latitude = perAxis[axes.firstIndex(of: "latitude")!]
        let longitude = perAxis[axes.firstIndex(of: "longitude")!]
        if inflate == .round, latitude != longitude {
            reader.report(
                "feature.inflation",
                "round inflation is one radius in degrees of arc; latitude and longitude inflations differ (use inflate 'box' for different extents)"
            )
            return nil
        }
        if inflate == .box, latitude > 180 || longitude > 360 {
            reader.report(
                "feature.inflation",
                "a box inflation of more than 180 degrees of latitude or 360 of longitude reaches round the globe, found "
                    + "\(GeoPoint.shortText(latitude)), \(GeoPoint.shortText(longitude))")
            return nil
        }
        if inflate == .round, latitude > 90 {
            reader.report("feature.inflation", "a radius of more than 90 degrees of arc is not meaningful, found \(GeoPoint.shortText(latitude))")
            return nil
        }
        return Trajectory.Inflation(
            latitude: latitude, longitude: longitude, level: axes.firstIndex(of: "levelist").map { perAxis[$0] } ?? 0,
            step: axes.firstIndex(of: "step").map { perAxis[$0] } ?? 0)
    }

    private static func span(of values: [Double], widenedBy margin: Double) -> ValueSpan {
        ValueSpan(start: (values.min() ?? 0) - margin, end: (values.max() ?? 0) + margin)
    }
}
