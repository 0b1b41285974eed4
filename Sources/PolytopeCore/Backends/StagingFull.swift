/// A result did not fit in the staging area: the disk (or the object store's quota) filled up
/// while it was written. Unlike `StagingUnavailable` this is a fact about one request, so it
/// never pauses a worker pool: the request is tried again later (space may be freed by the
/// garbage collector), and fails with this message once its attempts are used up.
package struct StagingFull: UserFacingError, Sendable, CustomStringConvertible {
    /// Bytes of the result written when space ran out (the result needs at least this much).
    package var bytesWritten: Int64
    /// Space left in the staging area, if the backend can tell.
    package var bytesFree: Int64?

    package init(bytesWritten: Int64, bytesFree: Int64?) {
        self.bytesWritten = bytesWritten
        self.bytesFree = bytesFree
    }

    package var description: String { userMessage }

    package var userMessage: String {
        var message = "The result does not fit in the staging area: the space ran out after \(ByteSize.describe(bytesWritten)) of it"
        if let bytesFree { message += " (\(ByteSize.describe(bytesFree)) free now)" }
        return message + "."
    }
}
