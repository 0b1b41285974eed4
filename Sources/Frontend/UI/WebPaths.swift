import Foundation

/// Where the web page lives as browsers see it.
///
/// Behind a reverse proxy that serves polytope under a path (`https://host/polytope/`,
/// stripping `/polytope` before passing requests on) the configured `public-url` carries that
/// path, and every link, form, redirect and the session cookie of the page must carry it
/// too; a browser that followed `/ui/requests` would leave polytope's part of the site. The
/// proxy's own host name is also the origin that the page's forms come from, whatever `Host`
/// the proxy sends on.
struct WebPaths: Sendable, Equatable {
    /// The path before `/ui`: empty, or `/polytope` (no trailing slash).
    let root: String
    /// `scheme://host[:port]` of the configured public URL, lowercased; nil without one.
    let publicOrigin: String?

    /// At the root of the server, with no public URL.
    init() {
        self.init(root: "", publicOrigin: nil)
    }

    private init(root: String, publicOrigin: String?) {
        self.root = root
        self.publicOrigin = publicOrigin
    }

    /// Under the path of `publicURL` (the `public-url` setting), if one is configured.
    init(publicURL: String?) {
        guard let publicURL, let url = URL(string: publicURL), let givenScheme = url.scheme, let host = url.host else {
            self.init()
            return
        }
        var path = url.path(percentEncoded: true)
        while path.hasSuffix("/") { path.removeLast() }
        let scheme = givenScheme.lowercased()
        // As browsers write an origin: no port where it is the scheme's own.
        let port = url.port.flatMap { port in (scheme, port) == ("http", 80) || (scheme, port) == ("https", 443) ? nil : port }
        self.init(root: path, publicOrigin: (scheme + "://" + host + (port.map { ":\($0)" } ?? "")).lowercased())
    }

    /// The page's own part of the site, and the path of its session cookie.
    var ui: String { root + "/ui" }

    /// One view or form target, e.g. `ui("requests")`.
    func ui(_ page: String) -> String { ui + "/" + page }

    var requests: String { ui("requests") }
    var signIn: String { ui("sign-in") }

    /// The API description, linked from every page.
    var openAPI: String { root + "/openapi.yaml" }

    /// The landing page of the OGC API - Processes front mounted under `prefix` ("" for none).
    func processes(prefix: String) -> String { root + ProcessesController.landingPath(prefix: prefix) }

    /// The assets, with the version that lets browsers cache them.
    var assets: WebAssets.Paths {
        WebAssets.Paths(
            style: ui("assets/style.css?v=\(WebAssets.styleVersion)"), script: ui("assets/app.js?v=\(WebAssets.scriptVersion)"),
            icon: ui("assets/icon.svg?v=\(WebAssets.iconVersion)"))
    }
}
