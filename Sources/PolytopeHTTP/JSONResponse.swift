import Foundation
import Hummingbird
import PolytopeCore

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

    /// An object of string values (keys sorted, as `encode` of any value writes them), written
    /// directly: most answers are this shape, and `JSONEncoder` costs more than the rest of a
    /// submission's answer.
    package static func encode(_ fields: [String: String], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: JSONText.object(sortingKeysOf: fields))))
    }

    /// `{"message": "<text>"}`.
    package static func message(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        encode(["message": text], status: status, headers: headers)
    }
}
