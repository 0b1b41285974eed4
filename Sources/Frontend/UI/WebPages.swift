import Foundation
import PolytopeCore

/// The HTML of the web page, rendered on the server from plain values, so that every view
/// works without JavaScript (a script only refreshes parts in place). Every text from users
/// or the store goes through `HTML.escape`; the markup has no inline scripts or styles, as
/// the Content-Security-Policy forbids them. Every link and form target is under `paths`.
struct WebPages: Sendable {
    /// Where the page lives as browsers see it.
    var paths = WebPaths()
    /// Whether the sign-in form offers an API key (some authenticator takes `Bearer` keys).
    var offersKeys = true

    /// What every page shows around its content.
    struct Frame {
        var title: String
        /// Nil on the sign-in page.
        var username: String?
        var isAdmin = false
        /// The anti-forgery token for the sign-out form.
        var csrf = ""
        /// The path of the current view, to mark it in the navigation.
        var current = ""
        /// The landing page of the OGC API - Processes front, if it is on.
        var processesURL: String?
    }

    func document(_ frame: Frame, main: String) -> String {
        let assets = paths.assets
        var navigation = ""
        if let username = frame.username {
            var links = [(paths.requests, "My requests"), (paths.ui("submit"), "Submit")]
            if frame.isAdmin { links.append((paths.ui("system"), "System")) }
            let items = links.map { path, label in
                let current = path == frame.current ? " aria-current=\"page\"" : ""
                return "<li><a href=\"\(HTML.escape(path))\"\(current)>\(label)</a></li>"
            }.joined()
            navigation = """
                <nav aria-label="Main"><ul>\(items)</ul>
                <form method="post" action="\(HTML.escape(paths.ui("sign-out")))" class="sign-out"><input type="hidden" name="csrf" value="\(HTML.escape(frame.csrf))">\
                <span>Signed in as <strong>\(HTML.escape(username))</strong></span> <button type="submit">Sign out</button></form></nav>
                """
        }
        let processes = frame.processesURL.map { " · <a href=\"\(HTML.escape($0))\">OGC API - Processes</a>" } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en" data-sign-in="\(HTML.escape(paths.signIn))">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(frame.title)) · Polytope</title>
            <link rel="icon" href="\(HTML.escape(assets.icon))" type="image/svg+xml">
            <link rel="stylesheet" href="\(HTML.escape(assets.style))">
            <script src="\(HTML.escape(assets.script))" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header><p class="brand"><a href="\(HTML.escape(paths.requests))">Polytope</a></p>\(navigation)</header>
            <main id="main">
            \(main)
            </main>
            <footer><p>API: <a href="\(HTML.escape(paths.openAPI))">OpenAPI</a>\(processes)</p></footer>
            </body>
            </html>
            """
    }

    // MARK: Sign in

    /// The sign-in form; `error` is shown above it.
    func signIn(error: String?, username: String) -> String {
        let alert = error.map { "<p class=\"error\" role=\"alert\" id=\"sign-in-error\">\(HTML.escape($0))</p>" } ?? ""
        let described = error == nil ? "" : " aria-describedby=\"sign-in-error\""
        return """
            <h1>Sign in</h1>
            \(alert)
            <form method="post" action="\(HTML.escape(paths.signIn))" class="card"\(described)>
            <fieldset><legend>With your user name and password</legend>
            <p><label for="username">User name</label><input id="username" name="username" autocomplete="username" value="\(HTML.escape(username))"></p>
            <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password"></p>
            </fieldset>
            \(offersKeys ? keyFieldset : "")
            <p><button type="submit" id="sign-in">Sign in</button></p>
            </form>
            """
    }

    private var keyFieldset: String {
        """
        <fieldset><legend>Or with an API key</legend>
        <p><label for="api-key">API key</label><input id="api-key" name="api_key" type="password" autocomplete="off" \
        aria-describedby="api-key-help"></p>
        <p class="help" id="api-key-help">The key of <code>polytope login</code> or <code>POST /api/v1/auth/keys</code>.</p>
        </fieldset>
        """
    }

    // MARK: My requests

    /// One request as the list shows it.
    struct RequestRow: Sendable {
        /// The most characters of a request's text a row carries.
        static let titleLength = 500

        /// `text`, cut to `titleLength` characters with "…".
        static func titleText(of text: String) -> String {
            text.count > titleLength ? String(text.prefix(titleLength)) + "…" : text
        }

        var id: String
        var collection: String
        var status: String
        /// Why it waits, what it does, or why it failed.
        var detail: String
        /// The request's text, at most `titleLength` characters (`titleText(of:)`): the list
        /// shows its start and gives it as the tooltip, and a request may be 1 MiB.
        var requestText: String
        var size: Int64?
        var ageSeconds: Double
        var downloadURL: String?
    }

    /// Which page of a user's requests is shown: the newest (`after` nil) or those older than a
    /// cursor from an "Older requests" link.
    struct ListPosition: Equatable {
        var after: RequestListCursor?

        /// The page that starts after `cursor` (the newest without one).
        init(_ cursor: RequestListCursor?) {
            after = cursor
        }

        /// - Throws: 400 when `token` is not a cursor.
        init(after token: String?) throws {
            guard let token else { return }
            guard let cursor = RequestListCursor(token: token) else {
                throw PolytopeError.invalidRequest("'after' must come from an 'Older requests' link; found '\(token.prefix(40))'.")
            }
            after = cursor
        }

        /// This page's own address (its part refreshes from it).
        func url(in paths: WebPaths) -> String { paths.requests + (after.map { "?after=\($0.token)" } ?? "") }
    }

    /// The list of the user's requests, newest first, at `position` (`older`: where the next,
    /// older page starts); `notice` is shown above it.
    func requests(_ rows: [RequestRow], csrf: String, notice: String?, position: ListPosition, older: RequestListCursor?) -> String {
        let status = notice.map { "<p class=\"notice\" role=\"status\" id=\"notice\">\(HTML.escape($0))</p>" } ?? ""
        return """
            <h1>My requests</h1>
            \(status)
            <noscript><p class="help">Reload the page to see changes.</p></noscript>
            \(requestsSection(rows, csrf: csrf, position: position, older: older))
            """
    }

    /// The part of the list that the script refreshes in place.
    func requestsSection(_ rows: [RequestRow], csrf: String, position: ListPosition, older: RequestListCursor?) -> String {
        let newest = position.after == nil ? "" : " <a href=\"\(HTML.escape(paths.requests))\" id=\"newest-requests\">Newest requests</a>"
        let refresh = HTML.escape(position.url(in: paths))
        guard !rows.isEmpty else {
            let text =
                position.after == nil
                ? "You have no requests. <a href=\"\(HTML.escape(paths.ui("submit")))\">Submit one</a>." : "No older requests." + newest
            return """
                <section id="requests" data-refresh="\(refresh)" aria-live="polite">
                <p>\(text)</p></section>
                """
        }
        let body = rows.map { row(for: $0, csrf: csrf) }.joined(separator: "\n")
        var footer = newest
        if let older {
            footer += " <a href=\"\(HTML.escape(ListPosition(older).url(in: paths)))\" id=\"older-requests\">Older requests</a>"
        }
        if !footer.isEmpty { footer = "<p class=\"help\">Showing \(rows.count) requests, newest first.\(footer)</p>" }
        return """
            <section id="requests" data-refresh="\(refresh)" aria-live="polite">
            <table>
            <caption>Your requests, newest first</caption>
            <thead><tr><th scope="col">Request</th><th scope="col">Status</th><th scope="col">Details</th>\
            <th scope="col">Size</th><th scope="col">Age</th><th scope="col">Actions</th></tr></thead>
            <tbody>
            \(body)
            </tbody>
            </table>
            \(footer)
            </section>
            """
    }

    private func row(for row: RequestRow, csrf: String) -> String {
        let id = HTML.escape(row.id)
        var actions = ""
        if let url = row.downloadURL {
            actions += "<a class=\"button\" href=\"\(HTML.escape(url))\" id=\"download-\(id)\" download>Download</a> "
        }
        actions += """
            <form method="post" action="\(HTML.escape(paths.ui("requests/\(HTML.urlComponent(row.id))/revoke")))" class="inline">\
            <input type="hidden" name="csrf" value="\(HTML.escape(csrf))">\
            <button type="submit" id="revoke-\(id)" aria-label="Revoke request \(id)">Revoke</button></form>
            """
        let request = row.requestText.count > 60 ? String(row.requestText.prefix(60)) + "…" : row.requestText
        return """
            <tr id="request-\(id)" data-status="\(HTML.escape(row.status))">\
            <td><code>\(id)</code><br><span class="muted">\(HTML.escape(row.collection))</span> \
            <span class="request-text" title="\(HTML.escape(row.requestText))">\(HTML.escape(request))</span></td>\
            <td><span class="status status-\(HTML.escape(row.status))">\(HTML.escape(row.status))</span></td>\
            <td class="detail">\(HTML.escape(row.detail))</td>\
            <td>\(row.size.map(HTML.size) ?? "")</td>\
            <td>\(HTML.age(row.ageSeconds))</td>\
            <td class="actions">\(actions)</td></tr>
            """
    }

    // MARK: Submit

    /// What the submit form shows: the choices, what the user wrote, and the problems found.
    struct SubmitForm: Sendable {
        var collections: [String]
        var collection = ""
        var requestText = ""
        var collectionError: String?
        var requestError: String?
        var csrf = ""
    }

    func submit(_ form: SubmitForm) -> String {
        let options = form.collections.map { name in
            "<option value=\"\(HTML.escape(name))\"\(name == form.collection ? " selected" : "")>\(HTML.escape(name))</option>"
        }.joined()
        return """
            <h1>Submit a request</h1>
            <form method="post" action="\(HTML.escape(paths.ui("submit")))" class="card" novalidate>
            <input type="hidden" name="csrf" value="\(HTML.escape(form.csrf))">
            <p><label for="collection">Collection</label>\
            <select id="collection" name="collection"\(invalid(form.collectionError, id: "collection"))>\(options)</select>\
            \(fieldError(form.collectionError, id: "collection"))</p>
            <p><label for="request">Request</label>\
            <textarea id="request" name="request" rows="10" spellcheck="false" \
            aria-describedby="request-help\(form.requestError == nil ? "" : " request-error")"\
            \(form.requestError == nil ? "" : " aria-invalid=\"true\"")>\(HTML.escape(form.requestText))</textarea>\
            \(fieldError(form.requestError, id: "request"))</p>
            <p class="help" id="request-help">YAML, JSON, or MARS text, e.g. <code>datasource: echo</code> or \
            <code>retrieve, class=od, param=2t</code>. It is checked at once, as by the API.</p>
            <p><button type="submit" id="submit">Submit</button></p>
            </form>
            """
    }

    private func invalid(_ error: String?, id: String) -> String {
        error == nil ? "" : " aria-invalid=\"true\" aria-describedby=\"\(id)-error\""
    }

    private func fieldError(_ error: String?, id: String) -> String {
        guard let error else { return "" }
        return "<span class=\"field-error\" id=\"\(id)-error\" role=\"alert\">\(HTML.escape(error))</span>"
    }

    /// A page for a problem that has no form to show it next to.
    func problem(_ message: String) -> String {
        "<h1>Something is not right</h1><p class=\"error\" role=\"alert\">\(HTML.escape(message))</p><p><a href=\"\(HTML.escape(paths.requests))\">Back</a></p>"
    }
}
