/// The OpenAPI 3 description of every HTTP route, served at `/openapi.yaml`.
///
/// Kept by hand beside the routes; `OpenAPIDocumentTests` fails when a route is missing
/// here, and the schemathesis run of the end-to-end suite checks the server against it.
package enum OpenAPIDocument {
    package static let yaml = v1 + "\n" + processesPaths + "\n" + edrPaths + "\n" + webPagePaths

    /// Everything but the paths of the CDS / OGC API - Processes front (which come last).
    static let v1 = #"""
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
          /api/v1/test:
            get:
              summary: Liveness of the API (no credentials needed).
              security: []
              responses:
                "200":
                  description: Alive.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Message"}
          /api/v1/collections:
            get:
              summary: The collections the caller may use.
              responses:
                "200":
                  description: Collection names.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [message]
                        properties:
                          message:
                            type: array
                            items: {type: string}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/user:
            get:
              summary: Who the caller is; every value is a string.
              responses:
                "200":
                  description: The caller.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [username, realm, roles, live requests]
                        properties:
                          username: {type: string}
                          realm: {type: string}
                          roles: {type: string}
                          live requests: {type: string}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/auth/keys:
            post:
              summary: Issue an API key to the caller (polytope login). Not with an API key.
              requestBody:
                required: false
                content:
                  application/json:
                    schema: {type: object}
              responses:
                "200":
                  description: The key (shown once) and when it expires.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [key, expires]
                        properties:
                          key: {type: string}
                          expires: {type: string}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/requests:
            get:
              summary: The caller's requests, oldest first (all of them, or a page with limit and after).
              parameters:
                - {name: limit, in: query, required: false, schema: {type: string}, description: "1 to 10000: at most this many, and the next cursor."}
                - {name: after, in: query, required: false, schema: {type: string}, description: "The next cursor of the previous page."}
              responses:
                "200":
                  description: The requests.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/RequestList"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/requests/{name}:
            parameters:
              - $ref: "#/components/parameters/requestOrCollection"
            get:
              operationId: pollRequest
              summary: Poll a request (by id), or list the caller's requests in a collection (by name).
              responses:
                "200":
                  description: The caller's requests in the collection; or, for an archive request, archived.
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - {$ref: "#/components/schemas/RequestList"}
                          - {$ref: "#/components/schemas/Archived"}
                "202":
                  description: The request is not finished.
                  headers:
                    Location: {schema: {type: string}}
                    Retry-After: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Status"}
                "303":
                  description: Processed; the data is at Location.
                  headers:
                    Location: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Redirect"}
                  links:
                    download:
                      operationId: download
                      parameters: {id: "$response.body#/id"}
                    downloadHeaders:
                      operationId: downloadHeaders
                      parameters: {id: "$response.body#/id"}
                "400":
                  description: The request failed; the message says why.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Message"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
            post:
              summary: Submit a request to a collection.
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Submission"}
              responses:
                "202":
                  description: Accepted and committed; poll Location.
                  headers:
                    Location: {schema: {type: string}}
                    Retry-After: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Submitted"}
                  links:
                    poll:
                      operationId: pollRequest
                      parameters: {name: "$response.body#/id"}
                    revoke:
                      operationId: revokeRequest
                      parameters: {name: "$response.body#/id"}
                    describe:
                      operationId: describeRequest
                      parameters: {id: "$response.body#/id"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/NotFound"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "503": {$ref: "#/components/responses/Unavailable"}
            delete:
              operationId: revokeRequest
              summary: Revoke a request (by id), or all of the caller's requests (`all`).
              responses:
                "200":
                  description: Revoked.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Message"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /api/v1/downloads/{id}:
            parameters:
              - $ref: "#/components/parameters/requestID"
              - name: Range
                in: header
                required: false
                schema: {type: string}
            get:
              operationId: download
              summary: The result of a processed request (owner only).
              responses:
                "200":
                  description: The whole result, with its exact Content-Type and Content-Length.
                  content:
                    application/octet-stream:
                      schema: {type: string, format: binary}
                    application/x-grib:
                      schema: {type: string, format: binary}
                    application/prs.coverage+json:
                      schema: {type: string, format: binary}
                "206":
                  description: The requested range.
                  headers:
                    Content-Range: {schema: {type: string}}
                  content:
                    application/octet-stream:
                      schema: {type: string, format: binary}
                    application/x-grib:
                      schema: {type: string, format: binary}
                    application/prs.coverage+json:
                      schema: {type: string, format: binary}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "416":
                  description: The range lies outside the result.
                  headers:
                    Content-Range: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Message"}
                "503": {$ref: "#/components/responses/Unavailable"}
            head:
              operationId: downloadHeaders
              summary: The headers of a download, without the body.
              responses:
                "200": {description: The result's headers.}
                "206": {description: The range's headers.}
                "401": {description: Missing or invalid credentials.}
                "404": {description: No such result.}
                "416": {description: The range lies outside the result.}
                "503": {description: A backend is unreachable.}
          /api/v1/uploads/{id}:
            parameters:
              - $ref: "#/components/parameters/requestID"
            post:
              operationId: upload
              summary: The data of an archive request (owner only, once, while it is uploading).
              parameters:
                - name: X-Checksum
                  in: header
                  required: true
                  description: The MD5 of the data, in hexadecimal.
                  schema: {type: string}
              requestBody:
                required: true
                content:
                  application/x-grib:
                    schema: {type: string, format: binary}
                  application/octet-stream:
                    schema: {type: string, format: binary}
              responses:
                "202":
                  description: Received; the request now waits to be archived.
                  headers:
                    Location: {schema: {type: string}}
                    Retry-After: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Status"}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "409": {$ref: "#/components/responses/Conflict"}
                "413": {$ref: "#/components/responses/TooLarge"}
                "503": {$ref: "#/components/responses/Unavailable"}
            get:
              operationId: uploadStatus
              summary: The status of an archive request.
              responses:
                "200":
                  description: Archived.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Archived"}
                "202":
                  description: Not archived yet.
                  headers:
                    Location: {schema: {type: string}}
                    Retry-After: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Status"}
                "303":
                  description: A retrieve request, processed (as a poll answers).
                  headers:
                    Location: {schema: {type: string}}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Redirect"}
                "400":
                  description: The request failed; the message says why.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Message"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /telemetry/v1/health:
            get:
              summary: Liveness of the process.
              security: []
              responses:
                "200":
                  description: Alive.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status, message, roles]
                        properties:
                          status: {type: string}
                          message: {type: string}
                          roles: {type: string}
          /telemetry/v1/ready:
            get:
              summary: Whether the store answers and staging can be written.
              security: []
              responses:
                "200":
                  description: Ready.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        additionalProperties: {type: string}
                "503":
                  description: Not ready.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [status]
                        additionalProperties: {type: string}
          /telemetry/v1/summary:
            get:
              summary: Request counts, queue depth and worker pools.
              security: []
              responses:
                "200":
                  description: The summary.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [requestsByStatus, requestsByCollection, queueDepth, workers]
                        properties:
                          requestsByStatus:
                            type: object
                            additionalProperties: {type: integer}
                          requestsByCollection:
                            type: object
                            additionalProperties:
                              type: object
                              additionalProperties: {type: integer}
                          queueDepth: {type: integer}
                          oldestWaitingSeconds: {type: number}
                          workers:
                            type: object
                            required: [slots, busy, idle, pools]
                            properties:
                              slots: {type: integer}
                              busy: {type: integer}
                              idle: {type: integer}
                              pools: {type: array, items: {type: object}}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /telemetry/v1/metrics:
            get:
              summary: This process's metrics in the Prometheus text format.
              security: []
              responses:
                "200":
                  description: Metrics.
                  content:
                    text/plain:
                      schema: {type: string}
                "401": {$ref: "#/components/responses/Unauthorized"}
          /telemetry/v1/requests:
            get:
              summary: Every user's requests, newest first (administrators only).
              parameters:
                - {name: status, in: query, required: false, schema: {type: string}}
                - {name: user, in: query, required: false, schema: {type: string}}
                - {name: collection, in: query, required: false, schema: {type: string}}
                - {name: limit, in: query, required: false, schema: {type: string}}
                - {name: after, in: query, required: false, schema: {type: string}}
              responses:
                "200":
                  description: The requests.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [message]
                        properties:
                          message:
                            type: array
                            items: {$ref: "#/components/schemas/AdminRequest"}
                          next: {type: string}
                "400": {$ref: "#/components/responses/BadRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /telemetry/v1/requests/{id}:
            parameters:
              - $ref: "#/components/parameters/requestID"
            get:
              operationId: describeRequest
              summary: One request with its whole history (administrators only).
              responses:
                "200":
                  description: The request.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [message]
                        properties:
                          message: {$ref: "#/components/schemas/AdminRequest"}
                "401": {$ref: "#/components/responses/Unauthorized"}
                "403": {$ref: "#/components/responses/Forbidden"}
                "404": {$ref: "#/components/responses/NotFound"}
                "503": {$ref: "#/components/responses/Unavailable"}
          /openapi.yaml:
            get:
              summary: This document.
              security: []
              responses:
                "200":
                  description: The OpenAPI document.
                  content:
                    application/yaml:
                      schema: {type: string}
        """#
}
