import FeatureExtraction
import PolytopeCore
import Testing

@Suite("Feature parsing and validation")
struct FeatureParserTests {
    private func parse(_ text: String, keys: [String: String] = ["step": "0"], limits: FeatureLimits = .init()) throws -> FeatureSpecification {
        try FeatureParser.parse(.parse(text), context: FeatureRequestContext(marsText: keys), limits: limits)
    }

    private func problems(_ text: String, keys: [String: String] = ["step": "0"], limits: FeatureLimits = .init()) throws -> [String] {
        do {
            _ = try FeatureParser.parse(.parse(text), context: FeatureRequestContext(marsText: keys), limits: limits)
            Issue.record("expected the feature to be refused")
            return []
        } catch let error as FeatureSpecificationError {
            return error.problems.map(\.description)
        }
    }

    @Test func timeseriesWithRange() throws {
        let spec = try parse(
            #"{"type": "timeseries", "points": [[-9.1, 38.78]], "time_axis": "step", "range": {"start": 0, "end": 48, "interval": 6}}"#,
            keys: [:])
        #expect(spec.shape == .nearestPoints([GeoPoint(latitude: -9.1, longitude: 38.78)]))
        #expect(spec.layout == .pointSeries(timeAxis: .step))
        #expect(spec.stepSpan == ValueSpan(start: 0, end: 48, interval: 6))
        #expect(spec.impliedRequestKeys == ["step": "0/to/48/by/6"])
        #expect(spec.stepSpan?.contains(12) == true && spec.stepSpan?.contains(13) == false)
    }

    @Test func timeseriesLegacyAxesStepAndLonLatOrder() throws {
        let legacy = try parse(#"{"type": "timeseries", "points": [[1, 2]], "axes": "step"}"#)
        #expect(legacy.layout == .pointSeries(timeAxis: .step))
        let swapped = try parse(#"{"type": "timeseries", "points": [[2, 1]], "time_axis": "step", "axes": ["longitude", "latitude"]}"#)
        #expect(swapped.shape == .nearestPoints([GeoPoint(latitude: 1, longitude: 2)]))
    }

    @Test func timeseriesRangeAndStepListIsOverspecified() throws {
        let found = try problems(
            #"{"type": "timeseries", "points": [[1, 2]], "time_axis": "step", "range": {"start": 0, "end": 6}}"#, keys: ["step": "0/6"])
        #expect(found.count == 1)
        #expect(found[0].contains("overspecified"))
        let under = try problems(#"{"type": "timeseries", "points": [[1, 2]], "time_axis": "step"}"#, keys: [:])
        #expect(under.first?.contains("underspecified") == true)
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let found = try problems(
            #"{"type": "timeseries", "pionts": [[1, 2]], "points": [[95, 2], [1, "x"], [1]], "time_axis": "steps", "range": {"start": -1, "end": 6}}"#,
            keys: [:])
        let text = found.joined(separator: "\n")
        #expect(text.contains("feature.pionts: unknown key (did you mean 'points'?)"))
        #expect(text.contains("feature.points[1][1]: expected a number, found the string 'x'"))
        #expect(text.contains("feature.points[2]: expected 2 values"))
        #expect(text.contains("unknown time axis 'steps'"))
        #expect(text.contains("feature.range.start: must be at least 0"))
        #expect(found.count >= 5)
    }

    @Test func latitudeOutOfRange() throws {
        let found = try problems(#"{"type": "position", "points": [[95, 2], [-90.5, 3], [0, 400]]}"#)
        #expect(
            found == [
                "feature.points[0]: latitude 95 is outside [-90, 90]", "feature.points[1]: latitude -90.5 is outside [-90, 90]",
                "feature.points[2]: longitude 400 is outside [-360, 360]",
            ])
    }

    @Test func outOfRangeNumbersAreWrittenAsGiven() throws {
        let found = try problems(#"{"type": "position", "points": [[90.0000000001, 360.0000000001], [1e308, 0], [-1e308, 0]]}"#)
        #expect(
            found == [
                "feature.points[0]: latitude 90.0000000001 is outside [-90, 90]",
                "feature.points[0]: longitude 360.0000000001 is outside [-360, 360]",
                "feature.points[1]: latitude 1e+308 is outside [-90, 90]", "feature.points[2]: latitude -1e+308 is outside [-90, 90]",
            ])
        #expect(GeoPoint.shortText(0.1 + 0.2) == "0.3" && GeoPoint.shortText(-9.1) == "-9.1" && GeoPoint.shortText(12) == "12")
    }

    @Test func unknownTypeListsKnownOnes() throws {
        let found = try problems(#"{"type": "timeserie", "points": [[1, 2]]}"#)
        #expect(found.count == 1)
        #expect(found[0].contains("unknown feature type 'timeserie' (did you mean 'timeseries'?)"))
        #expect(found[0].contains("position, timeseries, verticalprofile, boundingbox, polygon, trajectory, circle, frame, shapefile"))
    }

    @Test func shapefileIsRefused() throws {
        let found = try problems(#"{"type": "shapefile", "file": "/etc/passwd"}"#)
        #expect(
            found == [
                "feature.type: the shapefile feature is not supported by this server (it reads a file on the server); send the shape as a polygon feature"
            ])
    }

    @Test func wrongKindsAreNamed() throws {
        #expect(try problems(#"["type"]"#) == ["feature: expected an object with a 'type' key, found a list"])
        #expect(try problems(#"{"type": 3}"#) == ["feature.type: expected a string, found a number"])
        #expect(
            try problems(#"{"type": "circle", "center": [[1, 2]], "radius": "5"}"#) == [
                "feature.radius: expected a number, found the string '5'"
            ])
    }

    @Test func verticalProfileLevels() throws {
        let spec = try parse(#"{"type": "verticalprofile", "points": [[1, 2]], "axes": "levelist", "range": {"start": 0, "end": 1000}}"#)
        #expect(spec.levelSpan == ValueSpan(start: 0, end: 1000))
        #expect(spec.layout == .verticalProfile)
        let over = try problems(#"{"type": "verticalprofile", "points": [[1, 2]], "range": {"start": 0, "end": 1000}}"#, keys: ["levelist": "500"])
        #expect(over.first?.contains("overspecified") == true)
        _ = try parse(#"{"type": "verticalprofile", "points": [[1, 2]]}"#, keys: ["levelist": "500/850"])
    }

    @Test func boundingBox() throws {
        let spec = try parse(#"{"type": "boundingbox", "points": [[-1, -3], [1, 4]]}"#)
        #expect(spec.shape == .boxes([LatLonBox(south: -1, north: 1, west: -3, east: 4)]))
        #expect(spec.layout == .multiPoint(coordinateNames: ["latitude", "longitude", "levelist"]))
        let threeD = try parse(#"{"type": "boundingbox", "points": [[-1, -3, 1000], [1, 4, 500]], "axes": ["latitude", "longitude", "levelist"]}"#)
        #expect(threeD.levelSpan == ValueSpan(start: 500, end: 1000))
        #expect(
            try problems(#"{"type": "boundingbox", "points": [[0, 0], [1, 1], [2, 2]]}"#) == [
                "feature.points: a bounding box has exactly two corner points, found 3"
            ])
    }

    @Test func polygonOneOrSeveral() throws {
        let one = try parse(#"{"type": "polygon", "shape": [[-1, 1], [-1, 0], [0, 1], [-1, 1]]}"#)
        guard case .polygons(let rings) = one.shape else { Issue.record("not polygons"); return }
        #expect(rings.count == 1 && rings[0].count == 3)
        #expect(one.layout == .multiPoint(coordinateNames: ["x", "y", "z"]))
        let several = try parse(#"{"type": "polygon", "shape": [[[-1, 1], [-1, 0], [0, 1]], [[-2, 2], [-2, 1], [1, 2], [-2, 2]]]}"#)
        guard case .polygons(let rings2) = several.shape else { Issue.record("not polygons"); return }
        #expect(rings2.count == 2)
    }

    @Test func selfIntersectingPolygonIsRefused() throws {
        // A bow tie: edges 0-1 and 2-3 cross at (0.5, 0.5).
        let found = try problems(#"{"type": "polygon", "shape": [[0, 0], [1, 1], [0, 1], [1, 0]]}"#)
        #expect(found == ["feature.shape: the polygon intersects itself: edge 0–1 meets edge 2–3 at [0.5, 0.5]"])
        // A concave polygon is fine.
        _ = try parse(#"{"type": "polygon", "shape": [[0, 0], [0, 4], [4, 4], [4, 0], [2, 2]]}"#)
    }

    @Test func tooManyVerticesAndTooLargeArea() throws {
        let ring = (0..<12).map { "[\(Double($0) / 10), \(($0 % 2) * 3)]" }
        _ = ring
        let square = #"{"type": "polygon", "shape": [[0, 0], [0, 10], [10, 10], [10, 0]]}"#
        let found = try problems(square, limits: FeatureLimits(maxPoints: 3, maxAreaSquareKilometres: 1000))
        #expect(found.count == 2)
        #expect(found[0] == "feature.shape: 4 vertices, more than the limit of 3")
        #expect(found[1].hasPrefix("feature.shape: covers 1230"))
        #expect(found[1].hasSuffix("km² on the sphere, more than the limit of 1000 km²"))
        // polytope's bug (ecmwf/earthkit#108) rejected small valid polygons; this one is 12,364 km².
        _ = try parse(#"{"type": "polygon", "shape": [[0, 0], [0, 1], [1, 1], [1, 0]]}"#, limits: FeatureLimits(maxAreaSquareKilometres: 12_400))
    }

    @Test func circleRadiusInDegrees() throws {
        let spec = try parse(#"{"type": "circle", "center": [[-9.10, 38.78]], "radius": 0.1}"#)
        #expect(spec.shape == .circle(center: GeoPoint(latitude: -9.1, longitude: 38.78), radiusDegrees: 0.1))
        #expect(
            try problems(#"{"type": "circle", "centre": [[1, 2]], "radius": 1}"#) == [
                "feature.centre: unknown key (did you mean 'center'?)",
                "feature.center: missing (a list of points [latitude, longitude] is required)",
            ])
    }

    @Test func trajectoryAsPolytopeMarsDefinesIt() throws {
        let spec = try parse(#"{"type": "trajectory", "points": [[-1, -1], [0, 0], [1, 1]], "axes": ["latitude", "longitude"], "inflation": 0.1}"#)
        guard case .trajectory(let path) = spec.shape else { Issue.record("not a trajectory"); return }
        #expect(path.inflate == .round && path.inflation.radius == 0.1 && path.waypoints.count == 3)
        // Without axes, points are [latitude, longitude, levelist, step]; round is refused in 4-D.
        let fourD = try problems(#"{"type": "trajectory", "points": [[-1, -1, 1, 1], [0, 0, 2, 2]], "inflation": 0.1}"#)
        #expect(fourD == ["feature.inflate: round inflation is not available for a 4-D trajectory; use 'box'"])
        let box = try parse(
            #"{"type": "trajectory", "points": [[-1, -1, 500, 0], [0, 0, 850, 6]], "inflation": [0.1, 0.2, 50, 1], "inflate": "box"}"#)
        #expect(box.levelSpan == ValueSpan(start: 450, end: 900) && box.stepSpan == ValueSpan(start: -1, end: 7))
        #expect(
            try problems(
                #"{"type": "trajectory", "points": [[0, 0], [1, 1]], "axes": ["latitude", "longitude"], "inflation": [1, 1e300], "inflate": "box"}"#)
                == [
                    "feature.inflation: a box inflation of more than 180 degrees of latitude or 360 of longitude reaches round the globe, found 1, 1e+300"
                ])
        #expect(
            try problems(#"{"type": "trajectory", "points": [[0, 0], [1, 1]], "axes": ["latitude", "longitude"]}"#) == [
                "feature.inflation: missing (the inflation around the path is required: one number, or one per axis)"
            ])
        #expect(
            try problems(#"{"type": "trajectory", "points": [[0, 0]], "axes": ["latitude", "longitude"], "inflation": 1}"#) == [
                "feature.points: a trajectory needs at least two points, found 1"
            ])
        #expect(
            try problems(
                #"{"type": "trajectory", "points": [[0, 0], [1, 1]], "axes": ["latitude", "longitude"], "inflation": 1}"#, keys: ["step": "0/6"])
                == ["step: a trajectory takes one step from the request (several are not supported yet)"])
    }

    @Test func trajectoryAreaIsBoundedLikeAPolygons() throws {
        // A 10° leg on the equator inflated by 1° (R = 6371 km): (1,111.9 + 222.4) km × 222.4 km.
        let leg = #"{"type": "trajectory", "points": [[0, 0], [0, 10]], "axes": ["latitude", "longitude"], "inflation": 1}"#
        let area = try #require(try parse(leg).areaSquareKilometres)
        #expect(abs(area - 296_743) < 1)
        let found = try problems(leg, limits: FeatureLimits(maxAreaSquareKilometres: 100_000))
        #expect(found == ["feature.inflation: covers 296743 km² on the sphere, more than the limit of 100000 km²"], "\(found)")
    }

    @Test func frameIsFourBoxes() throws {
        let spec = try parse(#"{"type": "frame", "outer_box": [[0, 0], [10, 10]], "inner_box": [[2, 2], [8, 8]]}"#)
        guard case .boxes(let boxes) = spec.shape else { Issue.record("not boxes"); return }
        #expect(boxes.count == 4)
        #expect(boxes[0] == LatLonBox(south: 0, north: 2, west: 0, east: 10))
        #expect(boxes[1] == LatLonBox(south: 2, north: 8, west: 0, east: 2))
    }

    @Test func tooManyPoints() throws {
        let points = (0..<5).map { "[\($0), 0]" }.joined(separator: ",")
        let found = try problems(#"{"type": "position", "points": [\#(points)]}"#, limits: FeatureLimits(maxPoints: 4))
        #expect(found == ["feature.points: 5 points, more than the limit of 4"])
    }

    @Test func messageJoinsProblems() {
        let error = FeatureSpecificationError(problems: (0..<22).map { .init(path: "feature.points[\($0)]", message: "bad") })
        #expect(error.userMessage.hasSuffix("feature.points[19]: bad; and 2 more problems"))
    }
}
