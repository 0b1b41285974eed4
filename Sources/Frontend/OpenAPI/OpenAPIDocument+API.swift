extension OpenAPIDocument {
    /// The paths of the REST API that polytope-client speaks (`/api/v1`).
    static let apiPaths = #"""
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
        """#
}
