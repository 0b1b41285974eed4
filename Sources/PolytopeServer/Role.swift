import Foundation

/// The roles one `polytope` process can play; `serve --all` plays every one.
package enum Role: String, CaseIterable, Sendable, Hashable, Comparable {
    case frontend
    case broker
    case worker
    case garbageCollector = "gc"
    case telemetry

    /// Parses `frontend,broker` (also `garbage-collector` for `gc`).
    package static func parseList(_ text: String) throws -> Set<Role> {
        var roles = Set<Role>()
        for item in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !item.isEmpty {
            guard let role = Role(rawValue: item == "garbage-collector" ? "gc" : item) else {
                throw RoleError(message: "unknown role '\(item)'; roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            roles.insert(role)
        }
        guard !roles.isEmpty else { throw RoleError(message: "no role given; roles are \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
        return roles
    }

    package static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether the role answers HTTP.
    var servesHTTP: Bool { self == .frontend || self == .telemetry }
}

/// A role list that cannot be used.
package struct RoleError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}
