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

    /// A number as a person would write it: `10` rather than `10.0`, at most 6 decimals (`0.3`
    /// for 0.1 + 0.2) — unless that would round it to a whole number it is not: then up to 12
    /// decimals (`90.0000000001`, not `90.0`, in "latitude ... is outside [-90, 90]"; noise
    /// below that, as in 29.999999999999996, is written `30`). Large numbers are written with
    /// an exponent (`1e+308`), never as `inf`.
    package static func shortText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        guard value.isFinite, abs(value) < 1e9 else { return String(value) }
        for decimals in [1e6, 1e12] {
            let rounded = (value * decimals).rounded() / decimals
            if rounded != rounded.rounded() { return String(rounded) }
        }
        return String(Int64(value.rounded()))
    }
}
