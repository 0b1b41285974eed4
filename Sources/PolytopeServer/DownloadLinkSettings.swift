import Foundation
import Frontend
import PolytopeConfig
import PolytopeCore

/// `server.download-links`: download URLs that work without credentials (capability links).
///
/// ```yaml
/// server:
///   download-links:
///     enabled: true                          # default
///     secret: "${POLYTOPE_DOWNLOAD_SECRET}"  # the same on every frontend; at least 32 characters
///     lifetime: 24h                          # at least this long, at most an hour more
/// ```
/// Without a `secret`, one is made at first start and kept in `<data-dir>/download-links.secret`:
/// enough for one host; several frontends need a shared one.
package struct DownloadLinkSettings: Sendable {
    package var enabled: Bool
    package var secret: String?
    package var lifetime: Duration

    init(_ section: ConfigReader?) {
        enabled = section?.bool("enabled", default: true) ?? true
        secret = section?.string("secret")
        lifetime = section?.duration("lifetime", default: .seconds(86_400), minimum: .seconds(60)) ?? .seconds(86_400)
        if let secret, secret.utf8.count < 32 {
            section?.report("a download-links secret needs at least 32 characters (e.g. `openssl rand -hex 32`)", key: "secret")
        }
    }

    /// The signer, with the configured secret or the one kept in `dataDirectory` (made now if
    /// missing); nil when links are turned off.
    func makeSigner(dataDirectory: String) throws -> DownloadLinkSigner? {
        guard enabled else { return nil }
        if let secret { return DownloadLinkSigner(secret: Array(secret.utf8), lifetime: lifetime) }
        let file = URL(fileURLWithPath: dataDirectory).appendingPathComponent("download-links.secret")
        if let existing = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            existing.utf8.count >= 32
        {
            return DownloadLinkSigner(secret: Array(existing.utf8), lifetime: lifetime)
        }
        var generator = SystemRandomNumberGenerator()
        let made = Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        try StartupDirectory.create(dataDirectory, for: "server.data-dir")
        // Created with no permissions for others, then written: no moment at which it is readable by them.
        guard FileManager.default.createFile(atPath: file.path, contents: Data(made.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        return DownloadLinkSigner(secret: Array(made.utf8), lifetime: lifetime)
    }
}
