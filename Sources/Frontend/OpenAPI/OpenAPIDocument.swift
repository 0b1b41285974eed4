/// The OpenAPI 3 description of every HTTP route, served at `/openapi.yaml`.
///
/// Kept by hand beside the routes; `OpenAPIDocumentTests` fails when a route is missing
/// here, and the schemathesis run of the end-to-end suite checks the server against it.
package enum OpenAPIDocument {
    package static let yaml = [header, apiPaths, telemetryPaths, processesPaths, edrPaths, webPagePaths].joined(separator: "\n")

    /// The document's information, security schemes and shared components, up to `paths:`;
    /// each group of paths follows in its own file.
    static let header = #"""
        openapi: 3.0.3
        info:
          title: Polytope REST API
          version: "1"
          description: >
            The data-access API of polytope, wire-compatible with polytope-client 0.7.10.
            Requests are submitted to a collection, queued fairly, run on the datasource that
            matches them, and their results downloaded by their owner. Errors are always
            {"message": "<text>"}, except under /api/retrieve/v1 and /api/catalogue/v1 (the
            CDS / OGC API - Processes front for cdsapi), where they are {"title": "<text>", ...}.
        servers:
          - url: /
        security:
          - basic: []
          - bearer: []
          - emailKey: []
        components:
          securitySchemes:
            basic:
              type: http
              scheme: basic
            bearer:
              type: http
              scheme: bearer
              description: An API key (POST /api/v1/auth/keys), or a token accepted by Auth-o-tron.
            emailKey:
              type: apiKey
              in: header
              name: Authorization
              description: "`EmailKey <email>:<key>`"
          parameters:
            requestID:
              name: id
              in: path
              required: true
              description: A request id (UUID).
              schema: {type: string}
            requestOrCollection:
              name: name
              in: path
              required: true
              description: A request id (UUID), a collection name, or `all` (DELETE only).
              schema: {type: string}
              example: debug
          schemas:
            Problem:
              description: An OGC API - Processes problem document (the CDS front's errors).
              type: object
              required: [title]
              properties: {title: {type: string}, status: {type: number}, type: {type: string}, traceback: {type: string}}
            Message:
              type: object
              required: [message]
              properties:
                message: {type: string}
            Status:
              type: object
              required: [status, message]
              properties:
                status: {type: string, enum: [waiting, uploading, queued, processing]}
                message: {type: string}
            Submitted:
              type: object
              required: [id, status, message]
              properties:
                id: {type: string}
                status: {type: string, enum: [waiting, uploading]}
                message: {type: string}
            Archived:
              type: object
              required: [status, message]
              properties:
                status: {type: string, enum: [processed]}
                message: {type: string}
            Redirect:
              type: object
              required: [id, location, contentLength, contentType]
              properties:
                id: {type: string}
                location: {type: string}
                contentLength: {type: integer}
                contentType: {type: string}
            Submission:
              type: object
              required: [verb, request]
              example:
                verb: retrieve
                request: "datasource: echo\nparam: 2t/msl\n"
              properties:
                verb: {type: string, enum: [retrieve, archive]}
                request:
                  description: The request as YAML, JSON or MARS text, or as a JSON object (for archive, the data's metadata).
                  oneOf:
                    - {type: string}
                    - {type: object}
                url:
                  description: Archive only; must be empty (the data is uploaded to the Location answered).
                  type: string
            RequestSummary:
              type: object
              required: [id, status, verb, collection, datasource, user_request, user_message, timestamp, last_modified, attempts, status_history]
              properties:
                id: {type: string}
                status: {type: string}
                verb: {type: string}
                collection: {type: string}
                datasource: {type: string}
                user_request: {type: string}
                user_message: {type: string}
                timestamp: {type: number}
                last_modified: {type: number}
                attempts: {type: integer}
                status_history:
                  type: object
                  additionalProperties: {type: number}
                content_length: {type: integer}
                content_type: {type: string}
                url: {type: string}
            RequestList:
              type: object
              required: [message]
              properties:
                message:
                  type: array
                  items: {$ref: "#/components/schemas/RequestSummary"}
                next: {type: string, description: "With limit: the cursor of the next page (pass it as after); absent on the last page."}
            AdminRequest:
              type: object
              required: [id, user, status, verb, collection, datasource, attempts, userMessage, request, createdAt, updatedAt, history]
              properties:
                id: {type: string}
                user: {type: string}
                status: {type: string}
                verb: {type: string}
                collection: {type: string}
                datasource: {type: string}
                attempts: {type: integer}
                userMessage: {type: string}
                request: {type: string}
                createdAt: {type: string}
                updatedAt: {type: string}
                worker: {type: string}
                contentLength: {type: integer}
                contentType: {type: string}
                history:
                  type: array
                  items:
                    type: object
                    required: [status, at]
                    properties:
                      status: {type: string}
                      at: {type: string}
          responses:
            BadRequest:
              description: The input is malformed or cannot be served.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            Unauthorized:
              description: Missing or invalid credentials.
              headers:
                WWW-Authenticate:
                  schema: {type: string}
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            Forbidden:
              description: Valid credentials, but not allowed.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            NotFound:
              description: No such thing, or not the caller's.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            TooLarge:
              description: The body is over the configured limit.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            Conflict:
              description: The request is not in a state that allows this.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            Unavailable:
              description: A backend (the request store, Auth-o-tron) cannot be reached; try again later.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Message"}
            ProblemUnauthorized:
              description: Missing or invalid credentials.
              headers:
                WWW-Authenticate:
                  schema: {type: string}
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
            ProblemUnavailable:
              description: A backend cannot be reached.
              headers:
                Retry-After:
                  schema: {type: string}
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
            ProblemForbidden:
              description: Not allowed.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
            ProblemNotFound:
              description: No such process or job.
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
            ProblemBadRequest:
              description: Malformed input, or the job failed (traceback).
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Problem"}
            WebPage:
              description: The page (HTML).
              content:
                text/html; charset=utf-8:
                  schema: {type: string}
            WebRedirect:
              description: "Redirect: to the next page, or to the sign-in form without a session."
            WebNoSession:
              description: No session, for the page's script (a page is redirected to the sign-in form instead).
            WebProblem:
              description: The page or form again, naming the problem (refused credentials, a forged form, not an administrator, too many sign-ins, a backend unreachable).
              content:
                text/html; charset=utf-8:
                  schema: {type: string}
        paths:
        """#
}
