import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()`.
package struct TemporaryDirectory: Sendable {
    package let path: String

    package init(prefix: String = "polytope-test") throws {
        path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func file(_ name: String) -> String { "\(path)/\(name)" }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
