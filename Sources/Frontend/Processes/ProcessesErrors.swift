import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// Errors of the CDS / OGC API - Processes routes as RFC 7807 problem documents (`type`,
/// `title` = the v1 message, `status`), which cdsapi and ecmwf-datastores-client print;
/// statuses and messages are those of the v1 API.
enum ProcessesErrors {
    static let middleware = ErrorDocumentMiddleware { status, message in
        .object(["type": .string(problemType(for: status)), "title": .string(message), "status": .number(Double(status.code))])
    }

    /// The OGC exception type of a status.
    static func problemType(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/no-such-job"
        case 401, 403: "unauthorized"
        default: "about:blank"
        }
    }
}
