import HTTPTypes
import NIOCore
import NIOHTTP1

/// Sends a file's bytes as a response body with `sendfile(2)`: the kernel moves them from the
/// page cache to the socket, without copying them through buffers of ours (as nginx does).
///
/// Hummingbird's response writer takes only `ByteBuffer`s, so this handler sits below
/// Hummingbird's HTTP codec, where body parts may be NIO `FileRegion`s. A route arms it with
/// an open file (``arm(_:range:on:)``) and returns a response with the right
/// `Content-Length`, the header ``marker`` and an empty body; when that head passes, the
/// handler removes the marker and writes the file region right after it. It closes the file
/// when the region is written or the connection goes. A head without the marker disarms it
/// (the armed response never went out), so the file's bytes can only follow their own head.
package final class FileRegionSender: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = HTTPServerResponsePart
    package typealias OutboundOut = HTTPServerResponsePart

    /// The header that marks the response head the armed file belongs to (never sent).
    package static let marker = HTTPField.Name("x-polytope-file-region")!

    private struct Armed {
        let region: FileRegion
        let sent: EventLoopPromise<Void>

        /// Closes the file of a response that will not be sent.
        func abandon() {
            try? region.fileHandle.close()
            sent.fail(ChannelError.ioOnClosedChannel)
        }
    }

    private var armed: Armed?

    package init() {}

    /// Arms the sender of `channel`'s pipeline with `range` of `file`, which it then owns
    /// (it closes it).
    /// - Returns: a future that completes when the region has been written to the socket,
    ///   or fails if the connection failed first; nil, having closed `file`, if the pipeline
    ///   has no sender (a test router without a real connection): the caller then sends the
    ///   bytes itself.
    package static func arm(_ file: NIOFileHandle, range: Range<Int64>, on channel: any Channel) async throws -> EventLoopFuture<Void>? {
        let region = FileRegion(fileHandle: file, readerIndex: Int(range.lowerBound), endIndex: Int(range.upperBound))
        let sent = channel.eventLoop.makePromise(of: Void.self)
        let armed: Bool
        do {
            armed = try await channel.eventLoop.submit { () -> Bool in
                guard let sender = try? channel.pipeline.syncOperations.handler(type: FileRegionSender.self) else { return false }
                sender.replaceArmed(with: Armed(region: region, sent: sent))
                return true
            }.get()
        } catch {
            try? file.close()
            sent.fail(error)
            throw error
        }
        guard armed else {
            try? file.close()
            sent.succeed()
            return nil
        }
        return sent.futureResult
    }

    private func replaceArmed(with next: Armed?) {
        armed?.abandon()
        armed = next
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), armed != nil || head.headers.contains(name: Self.marker.rawName) else {
            context.write(data, promise: promise)  // the usual case: nothing armed, nothing marked
            return
        }
        let marked = head.headers.contains(name: Self.marker.rawName)
        head.headers.remove(name: Self.marker.rawName)
        let armed = self.armed
        self.armed = nil
        context.write(wrapOutboundOut(.head(head)), promise: promise)
        guard marked, let armed else {
            armed?.abandon()  // its response never went out; this head is another's
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { result in
            try? armed.region.fileHandle.close()
            armed.sent.completeWith(result)
        }
        if armed.region.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.fileRegion(armed.region))), promise: written)
        } else {
            written.succeed()
        }
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        replaceArmed(with: nil)
    }

    /// Puts a ``FileRegionSender`` into each connection's pipeline, next to NIO's HTTP/1
    /// response encoder, where Hummingbird's additional channel handlers cannot go. (It then
    /// stays, passing inbound events on untouched: NIO wants every handler to be inbound or
    /// outbound.)
    package final class Installer: ChannelInboundHandler, RemovableChannelHandler {
        package typealias InboundIn = NIOAny

        package init() {}

        package func handlerAdded(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            if let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self) {
                try? pipeline.addHandler(FileRegionSender(), position: .after(encoder))
            }
        }
    }
}
