/// A `range` block of a feature: every value of an axis from `start` to `end` (both included)
/// that the data holds, optionally only every `interval`-th one counted from `start`.
///
/// polytope-mars turns it into the MARS range `start/to/end[/by/interval]`.
package struct ValueSpan: Hashable, Sendable, CustomStringConvertible {
    package var start: Double
    package var end: Double
    package var interval: Double?

    package init(start: Double, end: Double, interval: Double? = nil) {
        self.start = start
        self.end = end
        self.interval = interval
    }

    /// Whether `value` is in the span: between the ends and, with an interval, on its grid.
    package func contains(_ value: Double) -> Bool {
        guard value >= start - 1e-9, value <= end + 1e-9 else { return false }
        guard let interval, interval > 0 else { return true }
        let multiple = (value - start) / interval
        return abs(multiple - multiple.rounded()) < 1e-9
    }

    /// The MARS text: `0/to/48/by/6`.
    package var marsText: String {
        let range = "\(GeoPoint.shortText(start))/to/\(GeoPoint.shortText(end))"
        guard let interval else { return range }
        return range + "/by/\(GeoPoint.shortText(interval))"
    }

    package var description: String { marsText }
}
