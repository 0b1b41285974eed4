import Foundation

extension OpenAPIDocument {
    /// The paths of the web page: HTML for people, authenticated by the session cookie that
    /// `POST /ui/sign-in` sets (so they declare no API security).
    static let webPagePaths = #"""
          /:
            get:
              summary: "The web page: redirects to /ui/requests."
              security: []
              responses:
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
          /ui:
            get:
              summary: "Redirects to the user's requests (or the sign-in form)."
              security: []
              responses:
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/assets/style.css:
            get:
              summary: "The web page's stylesheet."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/css; charset=utf-8:
                      schema: {type: string}
          /ui/assets/app.js:
            get:
              summary: "The web page's script."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/javascript; charset=utf-8:
                      schema: {type: string}
          /ui/assets/icon.svg:
            get:
              summary: "The web page's icon."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    image/svg+xml:
                      schema: {type: string}
          /ui/sign-in:
            get:
              summary: "The sign-in form."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
            post:
              summary: "Signs in (user and password, or an API key); sets the session cookie."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {username: {type: string}, password: {type: string}, api_key: {type: string}}}
              responses:
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "400":
                  description: "The form with its problems shown."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "403":
                  description: "A forged form, or not an administrator."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "413":
                  description: "The form is too large."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "429":
                  description: "Too many failed sign-ins, or too many waiting requests."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/sign-out:
            post:
              summary: "Signs out: revokes the session."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {csrf: {type: string}}}
              responses:
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "403":
                  description: "A forged form, or not an administrator."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "413":
                  description: "The form is too large."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/requests:
            get:
              summary: "The signed-in user's newest requests (HTML)."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
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
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "403":
                  description: "A forged form, or not an administrator."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "404":
                  description: "Not found."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "413":
                  description: "The form is too large."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/submit:
            get:
              summary: "The submit form."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
            post:
              summary: "Checks and submits a request; problems are shown next to their field."
              security: []
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema: {type: object, properties: {csrf: {type: string}, collection: {type: string}, request: {type: string}}}
              responses:
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "400":
                  description: "The form with its problems shown."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "403":
                  description: "A forged form, or not an administrator."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "404":
                  description: "Not found."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "413":
                  description: "The form is too large."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "429":
                  description: "Too many failed sign-ins, or too many waiting requests."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
          /ui/system:
            get:
              summary: "The operators' view (administrators)."
              security: []
              responses:
                "200":
                  description: "The page."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "303":
                  description: "Redirect (to the sign-in form without a session, or to the next page)."
                "401":
                  description: "Refused credentials (the form again), or no session for a script's update."
                "403":
                  description: "A forged form, or not an administrator."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
                "503":
                  description: "A backend cannot be reached."
                  content:
                    text/html; charset=utf-8:
                      schema: {type: string}
        """#
}
