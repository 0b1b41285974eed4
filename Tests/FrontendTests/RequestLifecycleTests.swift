import Foundation
import Frontend
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PolytopeTestSupport
import Testing

@Suite("REST API: request lifecycle")
struct RequestLifecycleTests {
    @Test("submit → 202 with Location and Retry-After → poll → 303 → download the exact bytes")
    func retrieveEcho() async throws {
        try await TestServer().test { client in
            let text = "datasource: echo\nparam: 2t/msl\n"
            let submitted = try await client.submit(text)
            #expect(submitted.status == .accepted)
            let location = try #require(submitted.headers[.location])
            #expect(location.hasPrefix("http://") && location.contains("/api/v1/requests/"))
            #expect(submitted.headers[.retryAfter] == "1")
            #expect(submitted.headers[.contentType] == "application/json")
            let body = try json(submitted)
            #expect(body["status"] as? String == "waiting")
            #expect((body["message"] as? String)?.contains("accepted") == true)
            let id = String(location.split(separator: "/").last!)

            let done = try await client.pollUntilDone(id)
            #expect(done.status == .seeOther)
            let download = try #require(done.headers[.location])
            #expect(download.contains("/api/v1/downloads/\(id)?expires="))
            let redirect = try json(done)
            #expect(redirect["contentLength"] as? Int == text.utf8.count)
            #expect(redirect["contentType"] as? String == "application/octet-stream")

            let data = try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get, headers: alice)
            #expect(data.status == .ok)
            #expect(String(buffer: data.body) == text)
            #expect(data.headers[.contentType] == "application/octet-stream")
            #expect(data.headers[.contentLength] == "\(text.utf8.count)")
            #expect(data.headers[.contentEncoding] == nil)
        }
    }

    @Test("the download location is a signed link: it works without credentials, only for its request, and not once altered")
    func signedDownloadLinks() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: echo\nlink: 1")
            let done = try await client.pollUntilDone(id)
            let location = try #require(done.headers[.location])
            let link = String(location[try #require(location.range(of: "/api/v1/downloads/"))!.lowerBound...])
            let free = try await client.execute(uri: link, method: .get)
            #expect(free.status == .ok && String(buffer: free.body) == "datasource: echo\nlink: 1")
            #expect(try await client.execute(uri: link, method: .head).status == .ok)

            let other = try await client.submitID("datasource: echo\nlink: 2")
            _ = try await client.pollUntilDone(other)
            let stolen = link.replacingOccurrences(of: id, with: other)
            #expect(try await client.execute(uri: stolen, method: .get).status == .forbidden, "a link grants its own request only")
            let tampered = link.replacingOccurrences(of: "expires=", with: "expires=9")
            #expect(try await client.execute(uri: tampered, method: .get).status == .forbidden, "a longer life is not signed")
            #expect(try await client.execute(uri: stolen, method: .get, headers: alice).status == .ok, "credentials still work")
            #expect(try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get).status == .unauthorized, "no link, no credentials")

            #expect(try await client.execute(uri: "/api/v1/requests/\(id)", method: .delete, headers: alice).status == .ok)
            #expect(try await client.execute(uri: link, method: .get).status == .notFound, "revoked with its request")
        }
    }

    @Test("a signed link expires")
    func signedLinksExpire() {
        let signer = DownloadLinkSigner(secret: Array(repeating: 7, count: 32), lifetime: .seconds(60))
        let now = Date(timeIntervalSince1970: 1_000_000)
        let query = signer.query(for: "abc", now: now)
        let parts = Dictionary(
            uniqueKeysWithValues: query.split(separator: "&").map { ($0.split(separator: "=")[0], String($0.split(separator: "=")[1])) })
        let expires = try! #require(Int64(parts["expires"]!))
        #expect(expires >= 1_000_060 && expires <= 1_000_060 + 3600 && expires % 3600 == 0, "rounded up to the hour")
        #expect(signer.verify(id: "abc", expires: expires, signature: parts["signature"]!, now: now))
        #expect(!signer.verify(id: "abc", expires: expires, signature: parts["signature"]!, now: Date(timeIntervalSince1970: Double(expires))))
        #expect(!signer.verify(id: "abd", expires: expires, signature: parts["signature"]!, now: now))
        let other = DownloadLinkSigner(secret: Array(repeating: 8, count: 32), lifetime: .seconds(60))
        #expect(!other.verify(id: "abc", expires: expires, signature: parts["signature"]!, now: now), "another secret")
    }

    @Test("dummy data: x-grib, Range answers 206 or 416, HEAD has the length and no body")
    func dummyRanges() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: dummy\nsize: 100000")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            let uri = "/api/v1/downloads/\(id)"
            let whole = try await client.execute(uri: uri, method: .get, headers: alice)
            #expect(whole.body.readableBytes == 100_000)
            #expect(whole.headers[.contentType] == "application/x-grib")
            #expect(whole.headers[.acceptRanges] == "bytes")

            var ranged = alice
            ranged[.range] = "bytes=10-19"
            let part = try await client.execute(uri: uri, method: .get, headers: ranged)
            #expect(part.status == .partialContent)
            #expect(part.body.readableBytes == 10)
            #expect(part.headers[.contentRange] == "bytes 10-19/100000")

            ranged[.range] = "bytes=-5"
            let suffix = try await client.execute(uri: uri, method: .get, headers: ranged)
            #expect(suffix.status == .partialContent && suffix.headers[.contentRange] == "bytes 99995-99999/100000")

            ranged[.range] = "bytes=100000-"
            let outside = try await client.execute(uri: uri, method: .get, headers: ranged)
            #expect(outside.status == .rangeNotSatisfiable)
            #expect(outside.headers[.contentRange] == "bytes */100000")

            let head = try await client.execute(uri: uri, method: .head, headers: alice)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == "100000")
            #expect(head.body.readableBytes == 0)

            // If-Range: the range only while the validator still names this result.
            let etag = try #require(whole.headers[.eTag])
            let lastModified = try #require(whole.headers[.lastModified])
            #expect(etag.hasPrefix("\"\(id).") && etag.hasSuffix("-100000\""))
            #expect(lastModified.hasSuffix(" GMT"))
            for (validator, honoured) in [
                (etag, true), (lastModified, true), ("\"other\"", false), ("W/\(etag)", false), ("Mon, 01 Jan 2001 00:00:00 GMT", false),
            ] {
                var conditional = alice
                conditional[.range] = "bytes=10-19"
                conditional[.ifRange] = validator
                let response = try await client.execute(uri: uri, method: .get, headers: conditional)
                #expect(response.status == (honoured ? .partialContent : .ok), "\(validator)")
                #expect(response.body.readableBytes == (honoured ? 10 : 100_000), "\(validator)")
            }
        }
    }

    @Test("a failing datasource: the poll answers 400 with the datasource's message")
    func failure() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: raise")
            let done = try await client.pollUntilDone(id)
            #expect(done.status == .badRequest)
            #expect(try message(done) == "Request failed with error:\nfails on purpose")
        }
    }

    @Test("lists: every request of the caller, by collection, with string id, status and verb")
    func lists() async throws {
        try await TestServer().test { client in
            let first = try await client.submitID("datasource: echo\nn: 1")
            let other = try await client.submit("anything: 1", to: "public")
            #expect(other.status == .accepted)
            _ = try await client.submitID("datasource: echo\nn: 2", as: bob)
            let all = try await client.execute(uri: "/api/v1/requests", method: .get, headers: alice)
            let records = try #require(try json(all)["message"] as? [[String: Any]])
            #expect(records.count == 2)
            #expect(records.first?["id"] as? String == first)
            #expect(records.allSatisfy { $0["status"] is String && $0["verb"] as? String == "retrieve" })
            let debugOnly = try await client.execute(uri: "/api/v1/requests/debug", method: .get, headers: alice)
            let debugRecords = try #require(try json(debugOnly)["message"] as? [[String: Any]])
            #expect(debugRecords.map { $0["id"] as? String } == [first])
            #expect(debugRecords.first?["user_request"] as? String == "datasource: echo\nn: 1")
        }
    }

    @Test("revoking: gone from lists, polls and downloads; revoke all counts")
    func revoke() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: echo")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            let revoked = try await client.execute(uri: "/api/v1/requests/\(id)", method: .delete, headers: alice)
            #expect(revoked.status == .ok)
            #expect(try message(revoked) == "Request \(id) revoked.")
            for method in [HTTPRequest.Method.get, .delete] {
                let after = try await client.execute(uri: "/api/v1/requests/\(id)", method: method, headers: alice)
                #expect(after.status == .notFound)
                #expect(try message(after) == "Request \(id) not found.")
            }
            #expect(try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get, headers: alice).status == .notFound)
            for index in 0..<3 { _ = try await client.submitID("datasource: echo\nn: \(index)") }
            let all = try await client.execute(uri: "/api/v1/requests/all", method: .delete, headers: alice)
            #expect(try message(all) == "Successfully revoked 3 requests.")
            let list = try await client.execute(uri: "/api/v1/requests", method: .get, headers: alice)
            #expect((try json(list)["message"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("nobody sees, downloads or revokes another user's request")
    func isolation() async throws {
        try await TestServer().test { client in
            let id = try await client.submitID("datasource: echo")
            #expect(try await client.pollUntilDone(id).status == .seeOther)
            for (uri, method) in [
                ("/api/v1/requests/\(id)", HTTPRequest.Method.get), ("/api/v1/downloads/\(id)", .get),
                ("/api/v1/downloads/\(id)", .head), ("/api/v1/requests/\(id)", .delete),
            ] {
                let response = try await client.execute(uri: uri, method: method, headers: bob)
                #expect(response.status == .notFound, "\(method) \(uri)")
            }
            let bobs = try await client.execute(uri: "/api/v1/requests", method: .get, headers: bob)
            #expect((try json(bobs)["message"] as? [Any])?.isEmpty == true)
            #expect(try await client.execute(uri: "/api/v1/downloads/\(id)", method: .get, headers: alice).status == .ok)
        }
    }

    @Test("collections and user: only what the caller may use; all user values are strings")
    func account() async throws {
        try await TestServer().test { client in
            let collections = try await client.execute(uri: "/api/v1/collections", method: .get, headers: alice)
            #expect(try json(collections)["message"] as? [String] == ["debug", "public"])
            let guest = try await client.execute(uri: "/api/v1/collections", method: .get, headers: basic("eve", "eve-pw"))
            #expect(try json(guest)["message"] as? [String] == ["public"])
            _ = try await client.submitID("datasource: echo")
            let user = try await client.execute(uri: "/api/v1/user", method: .get, headers: alice)
            let body = try json(user)
            #expect(body["username"] as? String == "alice")
            #expect(body["live requests"] as? String == "1")
            #expect(body.values.allSatisfy { $0 is String })
        }
    }
}
