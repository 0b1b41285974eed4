import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import PolytopeCore

/// Answers request headers over the configured size with `431 Request Header Fields Too
/// Large` and a JSON message, then closes the connection. (Without it the connection would
/// get a bare 400, which tells the client nothing.)
///
/// Sits in each connection's pipeline just after the HTTP decoder, where its errors arrive.
package final class HeaderLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundOut = HTTPResponsePart

    let limit: Int

    package init(limit: Int) {
        self.limit = limit
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? HTTPParserError, error == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        let body = ByteBuffer(string: JSONText.object(["message": "The request headers are larger than the limit of \(limit) bytes."]))
        let head = HTTPResponse(
            status: .requestHeaderFieldsTooLarge,
            headerFields: [.contentType: "application/json", .contentLength: "\(body.readableBytes)", .connection: "close"]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
