import Foundation
import NIOCore
import PolytopeCore

/// The body of `POST .../processes/<collection>/execution`: `{"inputs": {<the request>}}`.
struct ExecutionInputs {
    /// The request as sorted JSON text (as a JSON object submitted to `/api/v1/requests`).
    var text: String
    var document: RequestDocument

    static let example = #"{"inputs": {"key": "value"}}"#

    /// - Throws: `PolytopeError.invalidRequest` saying what is wrong.
    init(json buffer: ByteBuffer, parser: RequestTextParser = RequestTextParser()) throws {
        var bodyLimits = parser.limits
        bodyLimits.maximumNesting += 1
        let body: JSONValue
        do {
            body = try BoundedJSONParser(limits: bodyLimits).parse(buffer.readableBytesView)
        } catch is BoundedJSONParser.SyntaxError {
            throw PolytopeError.invalidRequest("The request body is not valid JSON; expected \(Self.example).")
        } catch let error as PolytopeError where error.message == bodyLimits.nestingExceeded.message {
            throw parser.limits.nestingExceeded
        }
        guard case .object(let fields) = body, let inputs = fields["inputs"] else {
            throw PolytopeError.invalidRequest("The request body has no 'inputs'; expected \(Self.example).")
        }
        guard case .object(let object) = inputs else {
            throw PolytopeError.invalidRequest("'inputs' must be a JSON object (the request); expected \(Self.example).")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        text = String(decoding: try encoder.encode(inputs), as: UTF8.self)
        document = try parser.document(from: object)
    }
}
