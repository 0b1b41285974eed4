import Foundation

/// The roles one `polytope` process can play; `serve --all` plays every one.
public enum Role: String, CaseIterable, Sendable, Hashable, Comparable {
    case frontend
    case broker
    case worker
    case garbageCollector = "gc"
    case telemetry

    /// Parses `frontend,broker` (also `garbage-collector` for `gc`).
    public static func parseList(_ text: String) throws -> Set<Role> {
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

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Whether the role answers HTTP.
    var servesHTTP: Bool { self == .frontend || self == .telemetry }
}

/// A role list that cannot be used.
public struct RoleError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
