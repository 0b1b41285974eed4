/// Comparisons whose time does not depend on where the inputs differ.
package enum ConstantTime {
    package static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for (x, y) in zip(a, b) { difference |= x ^ y }
        return difference == 0
    }
}
