import Foundation
import Hummingbird

/// Builds JSON responses with exactly the `Content-Type` clients expect.
package enum JSONResponse {
    package static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601  // not the default: seconds since 2001
        let data = (try? encoder.encode(value)) ?? Data(#"{"message":"Internal server error."}"#.utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"message": "<text>"}`.
    package static func message(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        encode(["message": text], status: status, headers: headers)
    }
}
