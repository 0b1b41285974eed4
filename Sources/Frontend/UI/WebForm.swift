import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PolytopeCore
import PolytopeHTTP

/// The fields of a form the web page posts (`application/x-www-form-urlencoded`), read with
/// bounds: at most `limit` bytes and 32 fields.
struct WebForm {
    static let maximumFields = 32
    static let foreignOrigin = PolytopeError.forbidden("This form was sent from another site; open the page on this server and try again.")

    private var fields: [String: String] = [:]

    init(_ request: Request, limit: Int = 64 << 10) async throws {
        // Browsers send the page's forms urlencoded; another encoding (a script's multipart)
        // would read as a form without fields, and be refused for its missing token.
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/x-www-form-urlencoded") {
            throw PolytopeError(.invalidRequest, "The page's forms are sent as application/x-www-form-urlencoded, not \(type.prefix(64)).")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw PolytopeError(.tooLarge, "The form is larger than the limit of \(limit) bytes.")
        }
        try self.init(encoded: String(buffer: buffer))
    }

    /// Parses `a=1&b=x+y%21`; later repeats of a name are ignored, fields beyond the limit too.
    /// - Throws: a 400 for a field whose percent-decoded bytes are not UTF-8 text.
    init(encoded: String) throws {
        for pair in encoded.split(separator: "&", omittingEmptySubsequences: true).prefix(Self.maximumFields) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]), let value = parts.count > 1 ? Self.decode(parts[1]) : "" else {
                throw PolytopeError.invalidRequest("A field of the form is not UTF-8 text; send the form from the page again.")
            }
            if fields[name] == nil { fields[name] = value }
        }
    }

    /// The field's value, empty when absent.
    subscript(_ name: String) -> String { fields[name] ?? "" }

    /// One name or value of a form: `+` is a space, then percent-decoding; nil when the
    /// decoded bytes are not UTF-8 or an escape is malformed (browsers write neither).
    static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// Refuses a form that does not come from a page of this session: its anti-forgery token
    /// must match the session cookie, and a browser-named origin must be this server.
    func requireSameSite(_ request: Request, sessions: WebSessions) throws {
        guard sessions.isSameOrigin(request) else { throw Self.foreignOrigin }
        guard let key = WebSessions.sessionKey(of: request),
            ConstantTime.equals(Array(self["csrf"].utf8), Array(WebSessions.csrfToken(session: key).utf8))
        else {
            throw PolytopeError.forbidden("This form has expired or was not sent from this page; reload the page and try again.")
        }
    }
}

/// Headers of every web page response (Content-Security-Policy; a referrer only to this
/// server, so download links never leak to another site, while forms still carry their
/// origin; no caching of pages), and errors shown as a page instead of JSON.
struct WebPageMiddleware: RouterMiddleware {
    typealias Context = PolytopeRequestContext
    let pages: WebPages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as PolytopeError {
            let (status, message, headers) = HTTPErrorMapping.describe(error)
            guard status != .internalServerError else { throw error }  // logged by the error middleware
            return Self.problemPage(pages, status, message, headers, username: context.user?.username)
        }
        Self.addPageHeaders(to: &response)
        return response
    }

    /// A page saying `message`, with `status` and `headers`.
    static func problemPage(
        _ pages: WebPages, _ status: HTTPResponse.Status, _ message: String, _ headers: HTTPFields, username: String? = nil
    ) -> Response {
        let frame = WebPages.Frame(title: "Problem", username: username)
        var response = WebController.html(pages.document(frame, main: pages.problem(message)), status: status)
        response.headers.append(contentsOf: headers)
        addPageHeaders(to: &response)
        return response
    }

    /// The security headers of every page.
    static func addPageHeaders(to response: inout Response) {
        response.headers[.contentSecurityPolicy] = WebController.contentSecurityPolicy
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
    }
}
