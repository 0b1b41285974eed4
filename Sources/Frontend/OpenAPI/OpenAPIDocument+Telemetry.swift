extension OpenAPIDocument {
    /// The paths of the telemetry role (`/telemetry/v1`) and of this document.
    static let telemetryPaths = #"""
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
