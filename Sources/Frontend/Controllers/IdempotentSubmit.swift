import Crypto
import Foundation
import HTTPTypes
import NIOCore
import PolytopeCore

/// How a submission's `Idempotency-Key` is read and compared.
enum IdempotentSubmit {
    /// The key of a submission to `collection` with `body`, or nil without the header.
    /// - Throws: a 400 for a malformed key.
    static func key(_ headers: HTTPFields, collection: String, body: ByteBuffer) throws -> IdempotencyKey? {
        guard let key = headers[.idempotencyKey] else { return nil }
        var hash = SHA256()
        hash.update(data: Array(collection.utf8) + [0])
        hash.update(data: body.readableBytesView)
        return try IdempotencyKey(key: key, digest: Hex.encode(hash.finalize()))
    }

    /// Checks that `earlier` was submitted with the same body as `key`.
    /// - Throws: a 422 when the key was used for a different submission.
    static func checkSameSubmission(_ earlier: IdempotentSubmission, _ key: IdempotencyKey) throws {
        guard earlier.digest == key.digest else {
            throw PolytopeError(
                .unprocessable,
                "Idempotency-Key '\(key.key)' was used for a different request (request \(earlier.id)) within the last 24 hours; "
                    + "use a new key for a new request.")
        }
    }
}

extension HTTPField.Name {
    /// draft-ietf-httpapi-idempotency-key-header.
    static let idempotencyKey = Self("Idempotency-Key")!
    /// Set on the answer to a submission that returned an earlier request for its key.
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
