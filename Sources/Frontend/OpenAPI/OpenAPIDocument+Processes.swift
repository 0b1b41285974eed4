import Foundation

extension OpenAPIDocument {
    /// The paths of the CDS / OGC API - Processes front, with the default prefix `api`.
    static let processesPaths = #"""
          /api/catalogue/v1/messages:
            get:
              summary: Catalogue messages for the CDS clients (always none).
              security: []
              responses:
                "200":
                  description: No messages.
                  content:
                    application/json:
                      schema: {type: object, required: [messages], properties: {messages: {type: array, items: {type: object}}}}
          /api/retrieve/v1:
            get:
              summary: Landing page of the CDS / OGC API - Processes front.
              security: []
              responses:
                "200":
                  description: Links.
                  content:
                    application/json:
                      schema: {type: object}
          /api/retrieve/v1/conformance:
            get:
              summary: Conformance classes.
              security: []
              responses:
                "200":
                  description: conformsTo.
                  content:
                    application/json:
                      schema: {type: object, required: [conformsTo], properties: {conformsTo: {type: array, items: {type: string}}}}
          /api/retrieve/v1/processes:
            get:
              summary: One process per collection the caller may use (also PRIVATE-TOKEN).
              responses:
                "200":
                  description: Processes.
                  content:
                    application/json:
                      schema: {type: object, required: [processes], properties: {processes: {type: array, items: {type: object}}}}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/retrieve/v1/processes/{collection}:
            parameters:
              - {name: collection, in: path, required: true, description: A collection name., schema: {type: string}, example: debug}
            get:
              summary: The process of one collection.
              responses:
                "200":
                  description: The process description.
                  content:
                    application/json:
                      schema: {type: object, required: [id], properties: {id: {type: string}}}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "403": {$ref: "#/components/responses/ProblemForbidden"}
                "404": {$ref: "#/components/responses/ProblemNotFound"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/retrieve/v1/processes/{collection}/execution:
            parameters:
              - {name: collection, in: path, required: true, description: A collection name., schema: {type: string}, example: debug}
            post:
              summary: "Submit a retrieve request as {\"inputs\": <request>}; the job is the request."
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: object, required: [inputs], properties: {inputs: {type: object}}}
              responses:
                "201":
                  description: The job status.
                  content:
                    application/json:
                      schema: {type: object, required: [jobID, status, type, links], properties: {jobID: {type: string}, status: {type: string, enum: [accepted, running, successful, failed, dismissed]}, type: {type: string}, processID: {type: string}, links: {type: array, items: {type: object}}, metadata: {type: object}}}
                "400": {$ref: "#/components/responses/ProblemBadRequest"}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "403": {$ref: "#/components/responses/ProblemForbidden"}
                "404": {$ref: "#/components/responses/ProblemNotFound"}
                "413":
                  description: The body is over the limit.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Problem"}
                "429":
                  description: Too many waiting requests.
                  headers:
                    Retry-After:
                      schema: {type: string}
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Problem"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/retrieve/v1/jobs:
            get:
              summary: The caller's jobs, oldest first, or newest first with sortby=-created.
              parameters:
                - {name: limit, in: query, required: false, schema: {type: integer}}
                - {name: after, in: query, required: false, schema: {type: string}}
                - {name: status, in: query, required: false, schema: {type: string}}
                - {name: sortby, in: query, required: false, schema: {type: string, enum: [created, -created]}}
              responses:
                "200":
                  description: Jobs.
                  content:
                    application/json:
                      schema: {type: object, required: [jobs], properties: {jobs: {type: array, items: {type: object}}}}
                "400": {$ref: "#/components/responses/ProblemBadRequest"}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/retrieve/v1/jobs/{name}:
            parameters:
              - {name: name, in: path, required: true, description: A job id (the request id)., schema: {type: string}}
            get:
              summary: A job's status, with metadata.log.
              responses:
                "200":
                  description: The job status.
                  content:
                    application/json:
                      schema: {type: object, required: [jobID, status, type, links], properties: {jobID: {type: string}, status: {type: string, enum: [accepted, running, successful, failed, dismissed]}, type: {type: string}, processID: {type: string}, links: {type: array, items: {type: object}}, metadata: {type: object}}}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "404": {$ref: "#/components/responses/ProblemNotFound"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
            delete:
              summary: Dismiss a job (revokes it unless it has succeeded).
              responses:
                "200":
                  description: The job, dismissed.
                  content:
                    application/json:
                      schema: {type: object, required: [jobID, status, type, links], properties: {jobID: {type: string}, status: {type: string, enum: [accepted, running, successful, failed, dismissed]}, type: {type: string}, processID: {type: string}, links: {type: array, items: {type: object}}, metadata: {type: object}}}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "404": {$ref: "#/components/responses/ProblemNotFound"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/retrieve/v1/jobs/{name}/results:
            parameters:
              - {name: name, in: path, required: true, description: A job id (the request id)., schema: {type: string}}
            get:
              summary: The result's capability href and size; 400 with the reason if the job failed.
              responses:
                "200":
                  description: The asset.
                  content:
                    application/json:
                      schema: {type: object, required: [asset], properties: {asset: {type: object}}}
                "400": {$ref: "#/components/responses/ProblemBadRequest"}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "404": {$ref: "#/components/responses/ProblemNotFound"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
          /api/profiles/v1/account/verification/pat:
            post:
              summary: Checks the PRIVATE-TOKEN (ecmwf-datastores-client's check_authentication()).
              responses:
                "200":
                  description: Who signed in.
                  content:
                    application/json:
                      schema: {type: object, required: [id], properties: {id: {type: string}, realm: {type: string}, roles: {type: string}}}
                "401": {$ref: "#/components/responses/ProblemUnauthorized"}
                "503": {$ref: "#/components/responses/ProblemUnavailable"}
        """#
}
