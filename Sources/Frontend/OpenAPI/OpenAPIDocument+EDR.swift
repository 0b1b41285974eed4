extension OpenAPIDocument {
    /// The paths of the OGC API - EDR front, with the default prefix `edr`.
    static let edrPaths = edrMetadataPaths + EDRQuery.Kind.allCases.map(edrQueryPath).joined() + edrCorridorPath

    private static let edrException = "{type: object, required: [code, description], properties: {code: {type: string}, description: {type: string}}}"

    /// The error responses every authenticated EDR route may give.
    private static let edrErrors = """
                "401":
                  description: Missing or invalid credentials.
                  headers:
                    WWW-Authenticate:
                      schema: {type: string}
                  content:
                    application/json:
                      schema: \(edrException)
                "404":
                  description: No such collection, or it does not extract features.
                  content:
                    application/json:
                      schema: \(edrException)
                "503":
                  description: A backend cannot be reached.
                  headers:
                    Retry-After:
                      schema: {type: string}
                  content:
                    application/json:
                      schema: \(edrException)

        """

    private static let edrMetadataPaths = """
          /edr:
            get:
              summary: Landing page of the OGC API - EDR front.
              security: []
              responses:
                "200":
                  description: Links to the conformance classes, the collections and this document.
                  content:
                    application/json:
                      schema: {type: object, required: [links], properties: {links: {type: array, items: {type: object}}}}
          /edr/conformance:
            get:
              summary: Conformance classes of the EDR front.
              security: []
              responses:
                "200":
                  description: conformsTo.
                  content:
                    application/json:
                      schema: {type: object, required: [conformsTo], properties: {conformsTo: {type: array, items: {type: string}}}}
          /edr/collections:
            get:
              summary: The collections with feature extraction that the caller may use (also PRIVATE-TOKEN).
              responses:
                "200":
                  description: Collections, with their data queries, parameters and extent.
                  content:
                    application/json:
                      schema: {type: object, required: [collections, links], properties: {collections: {type: array, items: {type: object}}, links: {type: array, items: {type: object}}}}
        \(edrErrors)  /edr/collections/{collection}:
            parameters:
              - {name: collection, in: path, required: true, description: A collection name., schema: {type: string}}
            get:
              summary: A collection's metadata (data_queries, parameter_names, extent).
              responses:
                "200":
                  description: The collection.
                  content:
                    application/json:
                      schema: {type: object, required: [id, links, extent, parameter_names], properties: {id: {type: string}, links: {type: array, items: {type: object}}, extent: {type: object}, data_queries: {type: object}, parameter_names: {type: object}}}
        \(edrErrors)
        """

    private static func edrQueryPath(_ kind: EDRQuery.Kind) -> String {
        let within = """

                    - {name: within, in: query, required: false, description: 'The distance (for trajectory the corridor half-width)', schema: {type: string}}
                    - {name: within-units, in: query, required: false, schema: {type: string, enum: [km, m, mi, deg]}}
            """
        let geometry =
            switch kind {
            case .position: "- {name: coords, in: query, required: false, description: 'POINT(lon lat) or MULTIPOINT', schema: {type: string}}"
            case .area: "- {name: coords, in: query, required: false, description: 'POLYGON((lon lat, ...)) or MULTIPOLYGON', schema: {type: string}}"
            case .cube: "- {name: bbox, in: query, required: false, description: 'minlon,minlat,maxlon,maxlat', schema: {type: string}}"
            case .trajectory: "- {name: coords, in: query, required: false, description: 'LINESTRING(lon lat, ...)', schema: {type: string}}" + within
            case .radius: "- {name: coords, in: query, required: false, description: 'POINT(lon lat)', schema: {type: string}}" + within
            }
        return """
              /edr/collections/{collection}/\(kind.rawValue):
                parameters:
                  - {name: collection, in: path, required: true, description: A collection name., schema: {type: string}}
                get:
                  summary: Extracts a \(kind.rawValue) query's feature as CoverageJSON (see docs/api.md for the mapping to MARS keys).
                  parameters:
                    \(geometry)
                    - {name: parameter-name, in: query, required: false, description: 'Parameters (MARS param)', schema: {type: string}}
                    - {name: datetime, in: query, required: false, description: 'A UTC instant, date or start/end (MARS date and time)', schema: {type: string}}
                    - {name: z, in: query, required: false, description: 'Levels (MARS levelist)', schema: {type: string}}
                    - {name: f, in: query, required: false, schema: {type: string, enum: [CoverageJSON]}}
                  responses:
                    "200":
                      description: The answer.
                      content:
                        application/prs.coverage+json:
                          schema: {type: object, required: [type], properties: {type: {type: string}}}
                    "202":
                      description: Still running after server.edr-wait; poll the request at Location.
                      headers:
                        Location:
                          schema: {type: string}
                      content:
                        application/json:
                          schema: {type: object, required: [id, status], properties: {id: {type: string}, status: {type: string}, message: {type: string}}}
                    "400":
                      description: A bad query, naming every problem, or the extraction failed.
                      content:
                        application/json:
                          schema: \(edrException)
                    "429":
                      description: Too many waiting requests of this user.
                      headers:
                        Retry-After:
                          schema: {type: string}
                      content:
                        application/json:
                          schema: \(edrException)
            \(edrErrors)
            """
    }

    /// Corridor queries, which this front does not offer.
    private static let edrCorridorPath = """
          /edr/collections/{collection}/corridor:
            parameters:
              - {name: collection, in: path, required: true, description: A collection name., schema: {type: string}}
            get:
              summary: Not supported; a trajectory query with within= gives the grid points along a path.
              responses:
                "400":
                  description: Corridor queries are not supported (the message names the queries offered).
                  content:
                    application/json:
                      schema: \(edrException)
        \(edrErrors)
        """
}
