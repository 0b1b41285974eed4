import Foundation

extension OpenAPIDocument {
    /// The paths of the web page: HTML for people, authenticated by the session cookie that
    /// `POST /ui/sign-in` sets (so they declare no API security); their answers are the
    /// `Web...` responses of the components.
    static let webPagePaths = #"""
          /:
            get:
              summary: "The web page: redirects to /ui/requests."
              security: []
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
          /ui:
            get:
              summary: "Redirects to the user's requests (or the sign-in form)."
              security: []
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/assets/style.css:
            get:
              summary: "The web page's stylesheet."
              security: []
              responses:
                "200":
                  description: "The asset."
                  content:
                    text/css; charset=utf-8:
                      schema: {type: string}
          /ui/assets/app.js:
            get:
              summary: "The web page's script."
              security: []
              responses:
                "200":
                  description: "The asset."
                  content:
                    text/javascript; charset=utf-8:
                      schema: {type: string}
          /ui/assets/icon.svg:
            get:
              summary: "The web page's icon."
              security: []
              responses:
                "200":
                  description: "The asset."
                  content:
                    image/svg+xml:
                      schema: {type: string}
          /ui/sign-in:
            get:
              summary: "The sign-in form."
              security: []
              responses:
                "200": {$ref: "#/components/responses/WebPage"}
            post:
              summary: "Signs in (user and password, or an API key); sets the session cookie."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {username: {type: string}, password: {type: string}, api_key: {type: string}}}
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
                "400": {$ref: "#/components/responses/WebProblem"}
                "401": {$ref: "#/components/responses/WebProblem"}
                "403": {$ref: "#/components/responses/WebProblem"}
                "413": {$ref: "#/components/responses/WebProblem"}
                "429": {$ref: "#/components/responses/WebProblem"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/sign-out:
            post:
              summary: "Signs out: revokes the session."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {csrf: {type: string}}}
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "403": {$ref: "#/components/responses/WebProblem"}
                "413": {$ref: "#/components/responses/WebProblem"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/requests:
            get:
              summary: "The signed-in user's requests, newest first, 50 a page (HTML)."
              security: []
              parameters:
                - name: after
                  in: query
                  description: "A cursor from the page's 'Older requests' link: show the requests older than it."
                  schema: {type: string}
              responses:
                "200": {$ref: "#/components/responses/WebPage"}
                "400": {$ref: "#/components/responses/WebProblem"}
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/requests/{name}/revoke:
            post:
              summary: "Revokes one of the user's requests."
              security: []
              parameters:
                - {name: name, in: path, required: true, schema: {type: string}}
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {csrf: {type: string}}}
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "403": {$ref: "#/components/responses/WebProblem"}
                "404": {$ref: "#/components/responses/WebProblem"}
                "413": {$ref: "#/components/responses/WebProblem"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/submit:
            get:
              summary: "The submit form."
              security: []
              responses:
                "200": {$ref: "#/components/responses/WebPage"}
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "503": {$ref: "#/components/responses/WebProblem"}
            post:
              summary: "Checks and submits a request; problems are shown next to their field."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {csrf: {type: string}, collection: {type: string}, request: {type: string}}}
              responses:
                "303": {$ref: "#/components/responses/WebRedirect"}
                "400": {$ref: "#/components/responses/WebProblem"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "403": {$ref: "#/components/responses/WebProblem"}
                "404": {$ref: "#/components/responses/WebProblem"}
                "413": {$ref: "#/components/responses/WebProblem"}
                "429": {$ref: "#/components/responses/WebProblem"}
                "503": {$ref: "#/components/responses/WebProblem"}
          /ui/system:
            get:
              summary: "The operators' view (administrators)."
              security: []
              responses:
                "200": {$ref: "#/components/responses/WebPage"}
                "303": {$ref: "#/components/responses/WebRedirect"}
                "401": {$ref: "#/components/responses/WebNoSession"}
                "403": {$ref: "#/components/responses/WebProblem"}
                "503": {$ref: "#/components/responses/WebProblem"}
        """#
}
