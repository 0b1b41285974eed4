/// A position on the Earth in degrees, as a request or a grid gives it.
///
/// Latitudes lie in [-90, 90]. Longitudes stay on the real line as written (a shape from -3 to
/// 4 crosses 0°; 370 is 10 east of Greenwich); code that needs them wrapped wraps them itself.
package struct GeoPoint: Hashable, Sendable, CustomStringConvertible {
    package var latitude: Double
    package var longitude: Double

    package init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// `[lat, lon]`, as requests write points.
    package var description: String { "[\(Self.shortText(latitude)), \(Self.shortText(longitude))]" }

    /// A number as a person would write it: `10` rather than `10.0`, at most 6 decimals.
    package static func shortText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        let rounded = (value * 1e6).rounded() / 1e6
        return String(rounded)
    }
}
