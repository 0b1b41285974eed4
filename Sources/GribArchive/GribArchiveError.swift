import PolytopeCore

/// Why archiving or retrieving GRIB failed, with a message for the user.
///
/// `polytopeError` decides what the user is told: problems of the data or the request are
/// shown as they are (HTTP 400); problems of the archive itself (a damaged file, a failed
/// write) are internal errors whose details go to the logs only.
package struct GribArchiveError: UserFacingError, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    package enum Reason: String, Sendable, Hashable {
        /// The file to archive cannot be opened or read.
        case unreadableFile
        /// The file is not GRIB, or a message is damaged or surrounded by other bytes.
        case notGRIB
        /// A message's MARS keys cannot be written as a request would write them.
        case unusableKeys
        /// A message does not match the metadata of the archive request.
        case metadataMismatch
        /// A request asks for more fields than one retrieval may serve.
        case tooManyFields
        /// The archive's files do not hold what its index says.
        case damagedArchive
        /// Writing the archive's files or index failed.
        case storageFailure
    }

    package var reason: Reason
    package var message: String

    package init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    package var userMessage: String { message }

    package var description: String { "\(reason.rawValue): \(message)" }

    /// The error as the domain reports it: the data's and the request's problems are the
    /// user's (invalid request); the archive's own are internal.
    package var polytopeError: PolytopeError {
        switch reason {
        case .unreadableFile, .notGRIB, .unusableKeys, .metadataMismatch, .tooManyFields:
            return .invalidRequest(message)
        case .damagedArchive, .storageFailure:
            return PolytopeError(.internalError, "the GRIB archive failed; the operator has the details in the logs", cause: self)
        }
    }
}
