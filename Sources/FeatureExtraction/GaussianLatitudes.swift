#if canImport(Darwin)
    import Darwin
#else
    import Glibc
#endif

/// The latitudes of a Gaussian grid: the roots of the Legendre polynomial P₂ₙ, as arcsines.
enum GaussianLatitudes {
    /// The 2N latitudes of the Gaussian grid of number N, north to south, in degrees.
    ///
    /// Each root is found by Newton iteration on P₂ₙ(x) (evaluated by the three-term
    /// recurrence) from the classical first guess cos(π(i − ¼)/(2N + ½)), to full double
    /// precision; the southern half mirrors the northern. N = 320 starts at 89.78487690721863
    /// (ecCodes, which stores micro-degrees, reports 89.784877).
    static func latitudes(gaussianNumber n: Int) -> [Double] {
        precondition(n > 0, "a Gaussian grid has a positive number N")
        let degree = 2 * n
        var northern: [Double] = []
        northern.reserveCapacity(n)
        for i in 1...n {
            var x = cos(Double.pi * (Double(i) - 0.25) / (Double(degree) + 0.5))
            for _ in 0..<100 {
                let (value, derivative) = legendre(degree: degree, at: x)
                let correction = value / derivative
                x -= correction
                if abs(correction) < 1e-16 { break }
            }
            northern.append(asin(x) * 180 / Double.pi)
        }
        return northern + northern.reversed().map { -$0 }
    }

    /// Pₙ(x) and its derivative.
    private static func legendre(degree: Int, at x: Double) -> (value: Double, derivative: Double) {
        var previous = 1.0
        var current = x
        for k in 2...degree {
            let next = (Double(2 * k - 1) * x * current - Double(k - 1) * previous) / Double(k)
            previous = current
            current = next
        }
        let derivative = Double(degree) * (x * current - previous) / (x * x - 1)
        return (current, derivative)
    }

    /// The `pl` array of the octahedral grid O-N: 20 + 4i points on row i counted from each pole.
    static func octahedralPointsPerRow(gaussianNumber n: Int) -> [Int] {
        let northern = (0..<n).map { 20 + 4 * $0 }
        return northern + northern.reversed()
    }
}
