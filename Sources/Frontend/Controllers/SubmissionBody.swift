import Foundation
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// The body of `POST /api/v1/requests/<collection>`: `{"verb": "retrieve", "request": <text or object>}`,
/// or `{"verb": "archive", "request": {metadata}, "url": ""}` (the data is uploaded next).
struct SubmissionBody {
    var verb: Verb
    /// Archive only: where the worker should fetch the data from; empty when the user uploads it.
    var sourceURL: String
    /// The request as the user wrote it (an object is kept as its JSON text).
    var text: String
    var document: RequestDocument

    static let example = #"{"verb": "retrieve", "request": "key: value"}"#

    /// - Throws: `PolytopeError.invalidRequest` saying exactly what is wrong.
    init(json buffer: ByteBuffer, parser: RequestTextParser = RequestTextParser()) throws {
        guard buffer.readableBytes > 0 else {
            throw PolytopeError.invalidRequest("The request body is empty; expected JSON such as \(Self.example).")
        }
        // The body wraps the request in one more object, so it may be one level deeper.
        var bodyLimits = parser.limits
        bodyLimits.maximumNesting += 1
        let body: JSONValue
        do {
            body = try BoundedJSONParser(limits: bodyLimits).parse(buffer.readableBytesView)
        } catch let error as BoundedJSONParser.SyntaxError {
            throw PolytopeError.invalidRequest(
                "The request body is not a JSON object; expected JSON such as \(Self.example) (not valid JSON at \(error)).")
        } catch let error as PolytopeError where error.message == bodyLimits.nestingExceeded.message {
            throw parser.limits.nestingExceeded  // named with the configured limit, which the request itself exceeds
        }
        guard case .object(let fields) = body else {
            throw PolytopeError.invalidRequest("The request body is not a JSON object; expected JSON such as \(Self.example).")
        }
        guard let verbValue = fields["verb"] else {
            throw PolytopeError.invalidRequest("The request body has no 'verb'; expected JSON such as \(Self.example).")
        }
        guard case .string(let verbText) = verbValue else {
            throw PolytopeError.invalidRequest("'verb' must be a string such as \"retrieve\".")
        }
        guard let verb = Verb(rawValue: verbText.lowercased()) else {
            throw PolytopeError.invalidRequest("Unknown verb '\(verbText.prefix(40))'; this server supports: retrieve, archive.")
        }
        switch fields["url"] {
        case nil, .null: sourceURL = ""
        case .string(let url): sourceURL = url
        default: throw PolytopeError.invalidRequest("'url' must be a string (empty when the data is uploaded).")
        }
        guard let request = fields["request"] else {
            throw PolytopeError.invalidRequest("The request body has no 'request'; expected JSON such as \(Self.example).")
        }
        self.verb = verb
        switch request {
        case .string(let text):
            self.text = text
            self.document = try parser.parse(text)
        case .object(let object):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            self.text = String(decoding: try encoder.encode(request), as: UTF8.self)
            self.document = try parser.document(from: object)
        case .number:
            self.text = request.scalarText ?? ""
            self.document = try parser.parse(self.text)
        default:
            throw PolytopeError.invalidRequest("'request' must be a string (YAML, JSON or MARS text) or a JSON object.")
        }
    }
}
