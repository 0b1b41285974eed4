import HTTPTypes
import Synchronization

/// The methods each route answers, so that a known path asked with another method gets
/// `405 Method Not Allowed` and an `Allow` header instead of Hummingbird's plain 404.
///
/// Filled once the routes are added (``record(_:)``); read by ``ErrorMiddleware`` for
/// requests no route took. Patterns are literal components and captures (`{name}` as
/// Hummingbird describes them, or `:name`).
package final class RouteMethods: Sendable {
    private struct Pattern {
        /// Literal components, nil for a capture (any one non-empty component).
        let components: [Substring?]
        var methods: Set<HTTPRequest.Method>
    }

    private let patterns = Mutex<[Pattern]>([])

    package init() {}

    /// Records routes given as (path pattern such as `/api/v1/requests/{name}`, method).
    package func record(_ routes: [(path: String, method: HTTPRequest.Method)]) {
        var recorded: [Pattern] = []
        for route in routes {
            let components = Self.components(of: route.path).map { $0.hasPrefix(":") || $0.hasPrefix("{") ? nil : $0 }
            if let index = recorded.firstIndex(where: { $0.components == components }) {
                recorded[index].methods.insert(route.method)
            } else {
                recorded.append(Pattern(components: components, methods: [route.method]))
            }
        }
        patterns.withLock { $0 = recorded }
    }

    /// The methods the routes matching `path` answer, sorted; empty if no route matches.
    package func allowed(for path: String) -> [HTTPRequest.Method] {
        let components = Self.components(of: path)
        let methods = patterns.withLock { patterns in
            patterns.filter { pattern in
                pattern.components.count == components.count
                    && zip(pattern.components, components).allSatisfy { expected, actual in expected.map { $0 == actual } ?? true }
            }.reduce(into: Set<HTTPRequest.Method>()) { $0.formUnion($1.methods) }
        }
        return methods.sorted { $0.rawValue < $1.rawValue }
    }

    /// The methods answered at `path`, sorted: those routed, and `HEAD` wherever `GET` is
    /// (`HeadAnsweringResponder`).
    package func answered(for path: String) -> [HTTPRequest.Method] {
        let routed = allowed(for: path)
        guard Self.answersHeadAsGet(routed) else { return routed }
        return (routed + [.head]).sorted { $0.rawValue < $1.rawValue }
    }

    /// Whether a `HEAD` at `path` is answered by running its `GET`: a `GET` is routed there,
    /// and no `HEAD` of its own.
    package func answersHeadAsGet(at path: String) -> Bool {
        Self.answersHeadAsGet(allowed(for: path))
    }

    private static func answersHeadAsGet(_ routed: [HTTPRequest.Method]) -> Bool {
        routed.contains(.get) && !routed.contains(.head)
    }

    private static func components(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
