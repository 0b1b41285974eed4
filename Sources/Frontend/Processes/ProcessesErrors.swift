import Hummingbird
import PolytopeCore
import PolytopeHTTP

/// Errors of the CDS / OGC API - Processes routes as RFC 7807 problem documents (`type`,
/// `title` = the v1 message, `status`), which cdsapi and ecmwf-datastores-client print;
/// statuses and messages are those of the v1 API.
enum ProcessesErrors {
    static let middleware = ErrorDocumentMiddleware { status, message, route in
        problem(type: problemType(for: status, route: route), title: message, status: status)
    }

    /// OGC API - Processes' exception types.
    static let exceptions = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/"

    /// A problem document.
    static func problem(type: String, title: String, status: HTTPResponse.Status) -> JSONValue {
        .object(["type": .string(type), "title": .string(title), "status": .number(Double(status.code))])
    }

    /// The OGC exception type of an error of `route` (its path template): a 404 is
    /// `no-such-process` on a process's routes and `no-such-job` otherwise (the results of a
    /// job that has none yet are `result-not-ready`, answered by the route itself); other
    /// statuses, and requests no route took (`route` nil), have none of their own.
    static func problemType(for status: HTTPResponse.Status, route: String?) -> String {
        guard status == .notFound, let route else { return "about:blank" }
        return exceptions + (route.contains("/processes/") ? "no-such-process" : "no-such-job")
    }

    /// The paths below `prefix` (`api`, or empty) whose requests no route took are answered
    /// as problem documents: those of the CDS APIs (`retrieve`, `catalogue`, `profiles`).
    static func frontPaths(prefix: String) -> [String] {
        ["retrieve", "catalogue", "profiles"].map { (prefix.isEmpty ? "" : "/\(prefix)") + "/\($0)/" }
    }
}
