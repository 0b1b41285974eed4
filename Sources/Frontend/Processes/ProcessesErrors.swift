import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// Errors of the CDS / OGC API - Processes routes as RFC 7807 problem documents (`type`,
/// `title` = the v1 message, `status`), which cdsapi and ecmwf-datastores-client print;
/// statuses and messages are those of the v1 API.
enum ProcessesErrors {
    static let middleware = ErrorDocumentMiddleware { status, message, route in
        .object([
            "type": .string(problemType(for: status, route: route, message: message)), "title": .string(message),
            "status": .number(Double(status.code)),
        ])
    }

    /// The OGC exception type of an error of `route` (its path template): a 404 is
    /// `no-such-process` on a process's routes, `result-not-ready` for the results of a job
    /// that has none yet, `no-such-job` otherwise; other statuses have none of their own.
    static func problemType(for status: HTTPResponse.Status, route: String?, message: String) -> String {
        let exceptions = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"
        guard status == .notFound else { return "about:blank" }
        if let route, route.contains("/processes/") { return exceptions + "no-such-process" }
        if let route, route.hasSuffix("/results"), message.hasPrefix("Job ") { return exceptions + "result-not-ready" }
        return exceptions + "no-such-job"
    }
}
