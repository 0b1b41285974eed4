import Foundation

/// Base64 with the URL- and filename-safe alphabet and no padding (RFC 4648 section 5), for
/// tokens that travel in URLs and headers (API keys, download link signatures).
package enum Base64URL {
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
