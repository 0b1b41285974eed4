import Foundation
import PolytopeCore

extension RequestStoreConformance {
    static let ownerChecks: [Check] = [
        Check(description: "requests belong to the user and their realm: one name in two realms owns two sets") { store in
            let local = User(username: "dana", roles: ["default"])
            let visitor = User(username: "dana", realm: "ecmwf", roles: ["default"])
            let key = try IdempotencyKey(key: "k-owner", digest: "d")
            let mine = Fixtures.record(user: local, at: t0)
            let theirs = Fixtures.record(user: visitor, at: t0 + 1)
            try expect(try await store.record(NewSubmission(mine, idempotencyKey: key)) == .recorded, "the local user's key is new")
            try expect(try await store.record(NewSubmission(theirs, idempotencyKey: key)) == .recorded, "the visitor's same key is another request")
            for (user, record) in [(local, mine), (visitor, theirs)] {
                let listed = try await store.requests(ofUser: user.owner, collection: nil, after: nil, limit: 10).records.map(\.id)
                try expect(listed == [record.id], "\(user.owner) lists only their own: \(listed)")
                try expect(try await store.requestCount(ofUser: user.owner) == 1, "\(user.owner) counts one")
                try expect(try await store.idempotentSubmission(username: user.owner, key: "k-owner", since: t0 - 1)?.id == record.id, "keys too")
            }
            try expect(try await store.revoke(id: mine.id, ofUser: visitor.owner, at: t0 + 2) == nil, "the visitor cannot revoke the local one's")
            try expect(try await store.revokeAll(ofUser: visitor.owner, at: t0 + 2).map(\.id) == [theirs.id], "revoking all is theirs only")
            try expect(try await store.request(id: mine.id)?.status == .waiting, "the local user's request is untouched")
        }
    ]
}
