import CEcCodes
import Foundation

/// Reads the GRIB messages of a file with ecCodes, one at a time in file order, with their
/// positions and the keys of ecCodes' `mars` namespace.
///
/// ecCodes keeps process-wide state (definition tables, caches), so every call into it is
/// made under one lock shared by all readers; a reader may be used from any thread. Only one
/// message is in memory at a time, and every ecCodes handle is freed before the next one is
/// read.
package struct GribMessageReader: Sendable {
    /// Serialises calls into ecCodes.
    static let ecCodes = NSLock()

    package init() {}

    /// Calls `body` with each message of `file` in order, and with the message's bytes, which
    /// are valid only during the call.
    ///
    /// Bytes of the file that are not GRIB (before, between or after messages) are skipped
    /// by ecCodes; compare the messages' offsets and lengths with the file's size to detect
    /// them.
    /// - Throws: `GribArchiveError` (`unreadableFile`, `notGRIB`) when the file cannot be
    ///   read or a message is damaged; any error `body` throws.
    package func forEachMessage(in file: URL, _ body: (GribMessage, UnsafeRawBufferPointer) throws -> Void) throws {
        guard let stream = fopen(file.path, "rb") else {
            throw GribArchiveError(.unreadableFile, "cannot open \(file.lastPathComponent): \(String(cString: strerror(errno)))")
        }
        defer { fclose(stream) }
        var number = 0
        while true {
            number += 1
            let start = Int64(ftello(stream))
            guard let next = try Self.nextMessage(from: stream, number: number, start: start) else { return }
            defer {
                Self.ecCodes.withLock { _ = codes_handle_delete(next.handle) }
            }
            try body(next.message, UnsafeRawBufferPointer(start: next.bytes, count: Int(next.message.length)))
        }
    }

    /// Every message of `file`, without their bytes.
    package func messages(in file: URL) throws -> [GribMessage] {
        var messages: [GribMessage] = []
        try forEachMessage(in: file) { message, _ in messages.append(message) }
        return messages
    }

    // MARK: ecCodes

    /// A message read and its handle, which the caller must delete.
    private struct OpenMessage {
        var message: GribMessage
        var handle: OpaquePointer
        var bytes: UnsafeRawPointer?
    }

    /// The next message of `stream`, or nil at the end of the file.
    private static func nextMessage(from stream: UnsafeMutablePointer<FILE>, number: Int, start: Int64) throws -> OpenMessage? {
        try ecCodes.withLock {
            var status: Int32 = 0
            guard let handle = codes_handle_new_from_file(nil, stream, PRODUCT_GRIB, &status) else {
                guard status == CODES_SUCCESS else {
                    throw GribArchiveError(.notGRIB, "the GRIB message after byte \(start) cannot be read: \(errorText(status))")
                }
                return nil
            }
            do {
                var bytes: UnsafeRawPointer?
                var size = 0
                try check(codes_get_message(handle, &bytes, &size), "the bytes of message \(number)")
                var offset = 0
                try check(codes_get_long(handle, "offset", &offset), "the offset of message \(number)")
                let message = GribMessage(
                    number: number, offset: Int64(offset), length: Int64(size), marsKeys: try marsKeys(of: handle, number: number),
                    layout: layout(of: handle))
                return OpenMessage(message: message, handle: handle, bytes: bytes)
            } catch {
                codes_handle_delete(handle)
                throw error
            }
        }
    }

    /// The keys of the `mars` namespace with their values as text (called under the lock).
    private static func marsKeys(of handle: OpaquePointer, number: Int) throws -> [String: String] {
        guard let iterator = codes_keys_iterator_new(handle, UInt(CODES_KEYS_ITERATOR_ALL_KEYS), "mars") else {
            throw GribArchiveError(.notGRIB, "the MARS keys of message \(number) cannot be read")
        }
        defer { codes_keys_iterator_delete(iterator) }
        var keys: [String: String] = [:]
        while codes_keys_iterator_next(iterator) != 0 {
            guard let name = codes_keys_iterator_get_name(iterator) else { continue }
            let key = String(cString: name)
            keys[key] = try string(handle, key, number: number)
        }
        return keys
    }

    /// The value of `key` as text (called under the lock).
    static func string(_ handle: OpaquePointer, _ key: String, number: Int) throws -> String {
        var length = 0
        try check(codes_get_length(handle, key, &length), "the length of key '\(key)' of message \(number)")
        var buffer = [CChar](repeating: 0, count: max(length, 1) + 1)
        var size = buffer.count
        try check(codes_get_string(handle, key, &buffer, &size), "key '\(key)' of message \(number)")
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func check(_ status: Int32, _ what: String) throws {
        guard status == CODES_SUCCESS else {
            throw GribArchiveError(.notGRIB, "\(what) cannot be read: \(errorText(status))")
        }
    }

    static func errorText(_ status: Int32) -> String {
        codes_get_error_message(status).map { String(cString: $0) } ?? "ecCodes error \(status)"
    }
}
