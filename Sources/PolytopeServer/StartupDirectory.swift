import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A directory the service needs at start (data directory, store, staging), created with its
/// parents; a failure names the configuration key and the system's reason, not Foundation's
/// error domain and code.
enum StartupDirectory {
    /// Why a directory cannot be used.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Creates `path` and its missing parents.
    /// - Parameter key: the configuration key `path` comes from, for the message.
    static func create(_ path: String, for key: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw Failure(description: "cannot create \(key) \(path): \(String(cString: strerror(errno))) (at \(prefix))")
            }
        }
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure(description: "cannot use \(key) \(path): it is not a directory")
        }
    }
}
