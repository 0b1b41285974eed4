import PolytopeCore

/// The features answered with every grid point inside a region.
extension FeatureParsing {
    /// `{"type": "boundingbox", "points": [[lat_min, lon_min], [lat_max, lon_max]], "axes"?}`;
    /// with `axes` naming `levelist` the points carry the level range too.
    mutating func parseBoundingBox(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(of: block, allowed: ["type", "points", "axes"], hints: ["axis": "axes", "point": "points"], at: "feature")
        var axes = ["latitude", "longitude"]
        if let value = block["axes"] {
            guard let names = reader.names(value, at: "feature.axes") else { return nil }
            if names.contains("step") {
                reader.report("feature.axes", "a bounding box's axes are latitude, longitude and optionally levelist; give steps in the request")
                return nil
            }
            let unknown = names.filter { !["latitude", "longitude", "levelist"].contains($0) }
            guard (2...3).contains(names.count), names.contains("latitude"), names.contains("longitude"), unknown.isEmpty,
                Set(names).count == names.count
            else {
                reader.report("feature.axes", "expected latitude, longitude and optionally levelist, found \(names)")
                return nil
            }
            axes = names
        }
        if axes.contains("levelist"), context.names("levelist") {
            reader.report("feature.axes", "levels are overspecified: the request gives 'levelist' and the box's points give levels; keep one")
        }
        let hint = "[" + axes.joined(separator: ", ") + "]"
        guard let corners = reader.points(block["points"], at: "feature.points", dimensions: axes.count, axesHint: hint) else { return nil }
        guard corners.count == 2 else {
            reader.report("feature.points", "a bounding box has exactly two corner points, found \(corners.count)")
            return nil
        }
        let latitude = axes.firstIndex(of: "latitude")!
        let longitude = axes.firstIndex(of: "longitude")!
        guard let points = geoPoints(corners, latitude: latitude, longitude: longitude, at: "feature.points") else { return nil }
        let box = LatLonBox(corner: points[0], corner: points[1])
        let area = SphericalGeometry.latLonRingAreaSquareKilometres(box.ring)
        checkArea(area, at: "feature.points")
        var levels: ValueSpan?
        if let level = axes.firstIndex(of: "levelist") {
            levels = ValueSpan(start: min(corners[0][level], corners[1][level]), end: max(corners[0][level], corners[1][level]))
        }
        return FeatureSpecification(
            type: .boundingbox, shape: .boxes([box]), layout: .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]),
            levelSpan: levels, areaSquareKilometres: area)
    }

    /// `{"type": "polygon", "shape": [[lat, lon], ...] or [[[lat, lon], ...], ...], "axes"?}`.
    mutating func parsePolygon(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(
            of: block, allowed: ["type", "shape", "axes"], hints: ["axis": "axes", "points": "shape", "shapes": "shape"], at: "feature")
        let order = latitudeLongitudeOrder(block["axes"], at: "feature.axes")
        guard let shape = block["shape"] else {
            reader.report("feature.shape", "missing (a list of [latitude, longitude] vertices, or a list of such lists, is required)")
            return nil
        }
        guard case .array(let items) = shape, let first = items.first else {
            reader.report("feature.shape", "expected a list of [latitude, longitude] vertices, found \(FeatureBlockReader.kindName(of: shape))")
            return nil
        }
        // One polygon is a list of points; several are a list of lists of points.
        let isSeveral: Bool
        if case .array(let firstItems) = first, case .array? = firstItems.first { isSeveral = true } else { isSeveral = false }
        let rings: [(value: JSONValue, path: String)] =
            isSeveral ? items.enumerated().map { ($0.element, "feature.shape[\($0.offset)]") } : [(shape, "feature.shape")]
        let vertexCount = rings.reduce(0) { count, ring in
            if case .array(let vertices) = ring.value { return count + vertices.count }
            return count
        }
        checkPointCount(vertexCount, at: "feature.shape", noun: "vertices")
        let hint = order.map { $0.latitude == 0 ? "[latitude, longitude]" : "[longitude, latitude]" } ?? "[latitude, longitude]"
        var polygons: [[GeoPoint]] = []
        var area = 0.0
        var valid = true
        for ring in rings {
            guard let vertices = reader.points(ring.value, at: ring.path, dimensions: 2, axesHint: hint), let order,
                let points = geoPoints(vertices, latitude: order.latitude, longitude: order.longitude, at: ring.path)
            else {
                valid = false
                continue
            }
            let normalised = PolygonRing.normalised(points)
            guard normalised.count >= 3 else {
                reader.report(ring.path, "a polygon needs at least three distinct vertices, found \(normalised.count)")
                valid = false
                continue
            }
            if vertexCount <= limits.maxPoints {
                for crossing in PolygonRing.selfCrossings(normalised) {
                    let count = normalised.count
                    reader.report(
                        ring.path,
                        "the polygon intersects itself: edge \(crossing.firstEdge)–\((crossing.firstEdge + 1) % count) meets edge "
                            + "\(crossing.secondEdge)–\((crossing.secondEdge + 1) % count) at \(crossing.point)")
                    valid = false
                }
            }
            area += SphericalGeometry.latLonRingAreaSquareKilometres(normalised)
            polygons.append(normalised)
        }
        checkArea(area, at: "feature.shape")
        guard valid else { return nil }
        return FeatureSpecification(
            type: .polygon, shape: .polygons(polygons), layout: .multiPoint(coordinateNames: ["x", "y", "z"]), areaSquareKilometres: area)
    }

    /// `{"type": "circle", "center": [[lat, lon]], "radius": degrees, "axes"?}`: the radius is
    /// in degrees of arc (polytope-mars' unit), measured along great circles.
    mutating func parseCircle(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(
            of: block, allowed: ["type", "center", "radius", "axes"], hints: ["centre": "center", "axis": "axes", "radious": "radius"],
            at: "feature")
        let order = latitudeLongitudeOrder(block["axes"], at: "feature.axes")
        let radius = reader.number(block["radius"], at: "feature.radius")
        if let radius, !(radius > 0 && radius <= 180) {
            reader.report("feature.radius", "expected a radius in degrees of arc, more than 0 and at most 180, found \(GeoPoint.shortText(radius))")
        }
        guard let centres = reader.points(block["center"], at: "feature.center", dimensions: 2, axesHint: "[latitude, longitude]") else {
            return nil
        }
        guard centres.count == 1 else {
            reader.report("feature.center", "a circle has exactly one centre, written [[latitude, longitude]], found \(centres.count) points")
            return nil
        }
        guard let order, let centre = geoPoints(centres, latitude: order.latitude, longitude: order.longitude, at: "feature.center")?.first,
            let radius, radius > 0, radius <= 180
        else { return nil }
        let area = SphericalGeometry.capAreaSquareKilometres(radiusDegrees: radius)
        checkArea(area, at: "feature.radius")
        return FeatureSpecification(
            type: .circle, shape: .circle(center: centre, radiusDegrees: radius),
            layout: .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]), areaSquareKilometres: area)
    }

    /// `{"type": "frame", "outer_box": [[lat, lon], [lat, lon]], "inner_box": [...]}`: the
    /// points of the outer box outside the inner one (inner boundary included), as the four
    /// boxes polytope-mars makes of it.
    mutating func parseFrame(_ block: [String: JSONValue]) -> FeatureSpecification? {
        reader.checkKeys(
            of: block, allowed: ["type", "outer_box", "inner_box", "points"], hints: ["outer": "outer_box", "inner": "inner_box"], at: "feature")
        let outer = frameBox(block["outer_box"], at: "feature.outer_box")
        let inner = frameBox(block["inner_box"], at: "feature.inner_box")
        guard let outer, let inner else { return nil }
        guard inner.south >= outer.south, inner.north <= outer.north, inner.west >= outer.west, inner.east <= outer.east else {
            reader.report("feature.inner_box", "the inner box (\(inner)) must lie inside the outer box (\(outer))")
            return nil
        }
        let boxes = [
            LatLonBox(south: outer.south, north: inner.south, west: outer.west, east: outer.east),
            LatLonBox(south: inner.south, north: inner.north, west: outer.west, east: inner.west),
            LatLonBox(south: inner.south, north: inner.north, west: inner.east, east: outer.east),
            LatLonBox(south: inner.north, north: outer.north, west: outer.west, east: outer.east),
        ]
        let area = SphericalGeometry.latLonRingAreaSquareKilometres(outer.ring) - SphericalGeometry.latLonRingAreaSquareKilometres(inner.ring)
        checkArea(area, at: "feature.outer_box")
        return FeatureSpecification(
            type: .frame, shape: .boxes(boxes), layout: .multiPoint(coordinateNames: ["x", "y", "z"]), areaSquareKilometres: area)
    }

    private mutating func frameBox(_ value: JSONValue?, at path: String) -> LatLonBox? {
        guard let corners = reader.points(value, at: path, dimensions: 2, axesHint: "[latitude, longitude]") else { return nil }
        guard corners.count == 2 else {
            reader.report(path, "a box has exactly two corner points, found \(corners.count)")
            return nil
        }
        guard let points = geoPoints(corners, latitude: 0, longitude: 1, at: path) else { return nil }
        return LatLonBox(corner: points[0], corner: points[1])
    }
}
