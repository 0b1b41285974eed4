#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What per-address limits count a client by.
package enum ClientAddress {
    /// The key of `address` (as `SocketAddress.ipAddress` writes it) for per-address limits:
    /// an IPv4 address itself, an IPv6 address its /64 prefix (one host or site is given a
    /// whole /64, so counting single IPv6 addresses would limit nothing), an IPv4-mapped
    /// IPv6 address its IPv4 address.
    package static func limitKey(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = in6_addr()
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        let octets = withUnsafeBytes(of: &bytes) { Array($0) }
        if octets[0..<10].allSatisfy({ $0 == 0 }), octets[10] == 0xff, octets[11] == 0xff {
            return octets[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
