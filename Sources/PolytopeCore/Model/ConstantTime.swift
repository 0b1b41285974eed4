/// Comparisons whose time does not depend on where the inputs differ.
package enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes; the time depends only on their lengths.
    package static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
