import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PolytopeCore
import Testing

@testable import Frontend

@Suite("Web page: rendering, forms and sessions")
struct WebPageTests {
    @Test("text from users is escaped wherever the page shows it")
    func escaping() throws {
        #expect(HTML.escape(#"<script>"a" & 'b'</script>"#) == "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;")
        let hostile = #"<script>alert(1)</script>"#
        let row = WebPages.RequestRow(
            id: "01a2", collection: hostile, status: "failed", detail: hostile, requestText: hostile, size: nil, ageSeconds: 5,
            downloadURL: #"http://x/"><script>"#)
        let html = WebPages().requests([row], csrf: #""><b>"#, notice: hostile, position: try .init(after: nil), older: nil)
        #expect(!html.contains("<script>"))
        #expect(!html.contains(#""><b>"#))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        var form = WebPages.SubmitForm(collections: ["debug"])
        form.requestText = "</textarea><script>x</script>"
        form.requestError = hostile
        #expect(!WebPages().submit(form).contains("<script>"))
    }

    @Test("the submit form names its problems next to their fields, for screen readers too")
    func fieldErrors() {
        var form = WebPages.SubmitForm(collections: ["debug", "archive"], collection: "archive", requestText: "x: 1")
        form.requestError = "No datasource accepts this request"
        let html = WebPages().submit(form)
        #expect(html.contains(#"aria-describedby="request-help request-error" aria-invalid="true""#))
        #expect(html.contains(#"<span class="field-error" id="request-error" role="alert">No datasource accepts this request</span>"#))
        #expect(html.contains(#"<option value="archive" selected>archive</option>"#))
        #expect(html.contains(">x: 1</textarea>"))
    }

    @Test("forms are decoded like browsers encode them, with bounds; bytes that are not UTF-8 are refused")
    func formDecoding() throws {
        let form = try WebForm(encoded: "a=1&b=x+y%21%0A&a=2&empty=&bare")
        #expect(form["a"] == "1")
        #expect(form["b"] == "x y!\n")
        #expect(form["empty"] == "")
        #expect(form["bare"] == "")
        #expect(form["missing"] == "")
        let many = try WebForm(encoded: (0..<100).map { "f\($0)=v" }.joined(separator: "&"))
        #expect(many["f31"] == "v")
        #expect(many["f32"] == "")
        for bad in ["request=%FF%FE", "a=%zz", "%C3=x"] {
            #expect(throws: PolytopeError.self, "\(bad)") { try WebForm(encoded: bad) }
        }
    }

    @Test("the anti-forgery token is fixed per session, differs between sessions and does not reveal the key")
    func csrfToken() {
        let token = WebSessions.csrfToken(session: "key-one")
        #expect(token == WebSessions.csrfToken(session: "key-one"))
        #expect(token != WebSessions.csrfToken(session: "key-two"))
        #expect(!token.contains("key-one"))
        #expect(token.count == 24)
    }

    @Test("submissions per minute: the hour up to now, oldest minute first; minutes that are over are read once")
    func submissionTally() {
        var tally = SubmissionTally()
        let now = Date(timeIntervalSince1970: 60 * 1_000_000 + 30)  // half a minute into minute 1,000,000
        #expect(tally.firstMinuteToRead(now: now) == 1_000_000 - 59)
        let counts = tally.record([1_000_000: 2, 999_999: 1, 999_941: 4, 999_940: 9, 1_000_001: 5], now: now)
        #expect(counts.count == 60)
        #expect(counts[59] == 2 && counts[58] == 1 && counts[0] == 4)
        #expect(counts.reduce(0, +) == 7)  // minutes outside the hour are left out
        // The next refresh, in the same minute, reads only the current one.
        #expect(tally.firstMinuteToRead(now: now.addingTimeInterval(20)) == 1_000_000)
        let later = tally.record([1_000_000: 3], now: now.addingTimeInterval(20))
        #expect(later[59] == 3 && later[58] == 1 && later[0] == 4)
        // Two minutes on, the window has moved: the old first minute is gone, the settled ones stay.
        let next = now.addingTimeInterval(120)
        #expect(tally.firstMinuteToRead(now: next) == 1_000_000)
        let moved = tally.record([1_000_000: 3, 1_000_002: 1], now: next)
        #expect(moved[59] == 1 && moved[58] == 0 && moved[57] == 3 && moved[56] == 1)
        #expect(moved.reduce(0, +) == 5)
    }

    @Test("a minute that just ended is read again until it has settled, for submissions that commit late")
    func submissionTallySettling() {
        var tally = SubmissionTally()
        let justAfter = Date(timeIntervalSince1970: 60 * 1_000_000 + 3)  // 3 s into minute 1,000,000
        _ = tally.record([999_999: 1], now: justAfter)
        #expect(tally.firstMinuteToRead(now: justAfter.addingTimeInterval(1)) == 999_999)
        let settled = tally.record([999_999: 2], now: justAfter.addingTimeInterval(10))
        #expect(settled[58] == 2)
        #expect(tally.firstMinuteToRead(now: justAfter.addingTimeInterval(11)) == 1_000_000)
    }

    @Test("the chart draws one bar per busy minute and says the same in words")
    func chart() {
        let svg = WebPages.rateChart([0, 2, 0, 4] + [Int](repeating: 0, count: 56))
        #expect(svg.components(separatedBy: "class=\"bar\"").count - 1 == 2)
        #expect(svg.contains("6 requests submitted in the last hour, 0 in the last 5 minutes; at most 4 in one minute."))
        #expect(svg.contains(#"role="img" aria-labelledby="rate-caption""#))
    }

    @Test("a browser-named origin must be this server")
    func sameOrigin() {
        func request(origin: String?) -> Request {
            var fields: HTTPFields = [:]
            if let origin { fields[.origin] = origin }
            let head = HTTPRequest(method: .post, scheme: "http", authority: "polytope.example:8080", path: "/ui/submit", headerFields: fields)
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        #expect(WebSessions.isSameOrigin(request(origin: nil)))
        #expect(WebSessions.isSameOrigin(request(origin: "http://polytope.example:8080")))
        #expect(!WebSessions.isSameOrigin(request(origin: "http://evil.example")))
        #expect(!WebSessions.isSameOrigin(request(origin: "http://polytope.example:9090")))
        #expect(!WebSessions.isSameOrigin(request(origin: "null")))
        // Behind a proxy, forms come from the public URL's origin whatever Host it sends on.
        #expect(WebSessions.isSameOrigin(request(origin: "https://Maps.Example.int"), publicOrigin: "https://maps.example.int"))
        #expect(!WebSessions.isSameOrigin(request(origin: "https://evil.example"), publicOrigin: "https://maps.example.int"))
    }

    @Test("under a public URL with a path, every link, form, asset and refresh of the page carries that path")
    func pathPrefix() throws {
        let paths = WebPaths(publicURL: "https://Maps.Example.int:8443/data/polytope/")
        #expect(paths.root == "/data/polytope")
        #expect(paths.publicOrigin == "https://maps.example.int:8443")
        #expect(WebPaths(publicURL: "HTTPS://maps.example.int:443/polytope").publicOrigin == "https://maps.example.int")
        #expect(paths.ui == "/data/polytope/ui")
        #expect(WebPaths(publicURL: "http://polytope.example").root == "")
        #expect(WebPaths(publicURL: nil) == WebPaths())
        #expect(WebPaths(publicURL: "https://polytope.example/data%20access").ui == "/data%20access/ui", "kept as the browser sends it")
        let pages = WebPages(paths: paths)
        let row = WebPages.RequestRow(
            id: "01a2", collection: "debug", status: "queued", detail: "", requestText: "datasource: echo", size: nil, ageSeconds: 5, downloadURL: nil
        )
        let cursor = try #require(RequestListCursor(token: "7"))
        let main = pages.requests([row], csrf: "t", notice: nil, position: .init(cursor), older: cursor)
        let html =
            pages.document(
                .init(title: "My requests", username: "alice", isAdmin: true, csrf: "t", processesURL: paths.processes(prefix: "")), main: main)
            + pages.submit(.init(collections: ["debug"])) + pages.signIn(error: nil, username: "") + pages.problem("x")
        let targets = html.matches(of: #/(?:href|action|src|data-refresh|data-sign-in)="([^"]*)"/#).map { String($0.output.1) }
        #expect(targets.count >= 15)
        for target in targets where !target.hasPrefix("#") {
            #expect(target.hasPrefix("/data/polytope/"), "\(target) leaves the proxy's path")
        }
        #expect(targets.contains("/data/polytope/ui/requests/01a2/revoke"))
        #expect(targets.contains("/data/polytope/ui/requests?after=7"))
        #expect(targets.contains("/data/polytope/retrieve/v1"))
        #expect(html.contains(#"data-sign-in="/data/polytope/ui/sign-in""#))
        #expect(WebAssets.script.contains(#"getAttribute("data-sign-in")"#) && !WebAssets.script.contains("/ui/"))
    }
}

@Suite("Web page: routes")
struct WebPageRouteTests {
    @Test("signing in sets a session cookie for /ui that lists the user's requests; signing out revokes it")
    func session() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: echo\nday: 1")
            let signIn = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=alice&password=alice-pw"))
            #expect(signIn.status == .seeOther)
            let cookie = try #require(signIn.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/ui"))
            let session = String(cookie.split(separator: ";")[0])
            let page = try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session])
            #expect(page.status == .ok)
            let html = String(buffer: page.body)
            #expect(html.contains("request-\(id)"))
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            let token = WebSessions.csrfToken(session: String(session.dropFirst("polytope_session=".count)))
            let signOut = try await client.execute(
                uri: "/ui/sign-out", method: .post, headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "csrf=\(token)"))
            #expect(signOut.status == .seeOther)
            let after = try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session])
            #expect(after.status == .seeOther)
            #expect(after.headers[.location] == "/ui/sign-in")
        }
    }

    @Test("sign-in takes a password or a key, not both; a notice of acceptance names only a listed request")
    func signInChoicesAndNotices() async throws {
        try await TestServer().test { client in
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let multipart = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: [.contentType: "multipart/form-data; boundary=x"],
                body: ByteBuffer(string: "--x\r\n"))
            #expect(multipart.status == .badRequest)
            #expect(String(buffer: multipart.body).contains("application/x-www-form-urlencoded"))
            let both = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: form, body: ByteBuffer(string: "username=eve&password=wrong&api_key=somekey"))
            #expect(both.status == .badRequest)
            #expect(String(buffer: both.body).contains("Enter a password or an API key, not both."))
            let signIn = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: form, body: ByteBuffer(string: "username=alice&password=alice-pw"))
            let session = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
            let id = try await client.submitID("datasource: echo")
            let own = try await client.execute(uri: "/ui/requests?submitted=\(id)", method: .get, headers: [.cookie: session])
            #expect(String(buffer: own.body).contains("Request \(id) accepted."))
            let stranger = "01a252d6-e842-760c-afcc-326141ec76f7"
            let forged = try await client.execute(uri: "/ui/requests?submitted=\(stranger)", method: .get, headers: [.cookie: session])
            #expect(!String(buffer: forged.body).contains("accepted."))
            // A mistyped address and a wrong method under /ui are pages too, with the page's headers.
            let cases: [(String, HTTPRequest.Method, HTTPResponse.Status)] = [
                ("/ui/nonesuch", .get, .notFound), ("/ui/sign-out", .get, .methodNotAllowed),
            ]
            for (uri, method, status) in cases {
                let answer = try await client.execute(uri: uri, method: method, headers: [.cookie: session])
                #expect(answer.status == status, "\(uri)")
                #expect(answer.headers[.contentType]?.hasPrefix("text/html") == true && answer.headers[.contentSecurityPolicy] != nil, "\(uri)")
            }
        }
    }

    @Test("a long request's text reaches the list cut to its title length, so the page stays small")
    func longRequests() async throws {
        try await TestServer().test { client in
            let long = "datasource: echo\nnote: " + String(repeating: "b", count: 50_000)
            for _ in 0..<5 { _ = try await client.submitID(long) }
            let signIn = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=alice&password=alice-pw"))
            let session = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
            let page = try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session])
            #expect(page.status == .ok)
            #expect(page.body.readableBytes < 5 * WebPages.RequestRow.titleLength + 20_000)
            #expect(String(buffer: page.body).contains(String(repeating: "b", count: WebPages.RequestRow.titleLength - 24) + "…"))
        }
    }

    @Test("My requests pages through older requests with a cursor link, newest first; a bad cursor is 400")
    func olderRequests() async throws {
        try await TestServer().test { client in
            var ids: [String] = []
            for day in 0..<(WebController.listedRequests + 3) { ids.append(try await client.submitID("datasource: echo\nday: \(day)")) }
            let signIn = try await client.execute(
                uri: "/ui/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=alice&password=alice-pw"))
            let session = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
            let first = String(buffer: try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session]).body)
            #expect(first.contains("request-\(ids.last!)") && !first.contains("request-\(ids[2])\""))
            #expect(!first.contains("newest-requests"))
            let link = try #require(first.firstMatch(of: #/href="(/ui/requests\?after=[0-9]+)" id="older-requests"/#)?.output.1)
            let older = try await client.execute(uri: String(link), method: .get, headers: [.cookie: session])
            #expect(older.status == .ok)
            let html = String(buffer: older.body)
            #expect(ids[0..<3].allSatisfy { html.contains("request-\($0)\"") })
            #expect(!html.contains("request-\(ids[3])\"") && !html.contains("older-requests"))
            #expect(html.contains("id=\"newest-requests\"") && html.contains("data-refresh=\"\(link)\""))
            let bad = try await client.execute(uri: "/ui/requests?after=x%22", method: .get, headers: [.cookie: session])
            #expect(bad.status == .badRequest)
            // (Not just `x"`: an asset's content hash in the page may end with an x.)
            let problem = String(buffer: bad.body)
            #expect(problem.contains("found &#39;x&quot;&#39;") && !problem.contains("'x\"'"), "the cursor is echoed escaped only")
        }
    }

    @Test("a non-admin gets 403 for the system view; an admin gets it")
    func systemView() async throws {
        try await TestServer().test { client in
            for (user, password, status) in [("alice", "alice-pw", HTTPResponse.Status.forbidden), ("root", "root-pw", .ok)] {
                let signIn = try await client.execute(
                    uri: "/ui/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "username=\(user)&password=\(password)"))
                let session = String(try #require(signIn.headers[.setCookie]).split(separator: ";")[0])
                let page = try await client.execute(uri: "/ui/system", method: .get, headers: [.cookie: session])
                #expect(page.status == status)
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            }
        }
    }

    @Test("with a public URL under a path, redirects and the session cookie carry the path; forms from its origin are accepted")
    func behindAPathPrefix() async throws {
        let configuration = TestServer.configuration.replacingOccurrences(
            of: "max-body-size: 64K", with: "max-body-size: 64K, public-url: \"https://maps.example.int/polytope/\"")
        try await TestServer(configuration: configuration).test { client in
            let landing = try await client.execute(uri: "/", method: .get)
            #expect(landing.headers[.location] == "/polytope/ui/requests")
            let signIn = try await client.execute(
                uri: "/ui/sign-in", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .origin: "https://maps.example.int"],
                body: ByteBuffer(string: "username=alice&password=alice-pw"))
            #expect(signIn.status == .seeOther)
            #expect(signIn.headers[.location] == "/polytope/ui/requests")
            let cookie = try #require(signIn.headers[.setCookie])
            #expect(cookie.contains("; Path=/polytope/ui;") && cookie.contains("; Secure"))
            let session = String(cookie.split(separator: ";")[0])
            let page = String(buffer: try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session]).body)
            #expect(page.contains(#"action="/polytope/ui/sign-out""#) && page.contains(#"href="/polytope/ui/assets/style.css?v="#))
            let token = WebSessions.csrfToken(session: String(session.dropFirst("polytope_session=".count)))
            let submit = try await client.execute(
                uri: "/ui/submit", method: .post,
                headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded", .origin: "https://maps.example.int"],
                body: ByteBuffer(string: "csrf=\(token)&collection=debug&request=datasource%3A+echo"))
            #expect(submit.status == .seeOther)
            #expect(submit.headers[.location]?.hasPrefix("/polytope/ui/requests?submitted=") == true)
            let signOut = try await client.execute(
                uri: "/ui/sign-out", method: .post,
                headers: [.cookie: session, .contentType: "application/x-www-form-urlencoded", .origin: "https://maps.example.int"],
                body: ByteBuffer(string: "csrf=\(token)"))
            #expect(signOut.headers[.location] == "/polytope/ui/sign-in")
            #expect(signOut.headers[.setCookie]?.contains("Path=/polytope/ui; Max-Age=0") == true)
            let after = try await client.execute(uri: "/ui/requests", method: .get, headers: [.cookie: session])
            #expect(after.headers[.location] == "/polytope/ui/sign-in")
        }
    }

    @Test("server.web-page: false serves no page")
    func turnedOff() async throws {
        try await TestServer(
            configuration: TestServer.configuration.replacingOccurrences(of: "max-body-size: 64K", with: "max-body-size: 64K, web-page: false")
        )
        .test { client in
            let response = try await client.execute(uri: "/ui/sign-in", method: .get)
            #expect(response.status == .notFound)
        }
    }
}
