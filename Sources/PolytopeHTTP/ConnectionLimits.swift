import Foundation
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Caps the connections the HTTP server holds, in total and per client address, below the
/// process's file-descriptor limit, so that many idle or slow clients cannot exhaust it.
///
/// At the total cap the server stops accepting (the kernel's backlog holds new clients until
/// a connection closes; no busy accept loop); over the per-address cap a new connection is
/// answered 503 and closed at once. Each kind of refusal is logged, at most once a minute, with counts.
package final class ConnectionLimits: Sendable {
    /// The caps.
    package struct Policy: Sendable, Hashable {
        package var maximumConnections: Int
        package var maximumPerAddress: Int

        package init(maximumConnections: Int, maximumPerAddress: Int) {
            self.maximumConnections = maximumConnections
            self.maximumPerAddress = maximumPerAddress
        }

        /// The total cap that fits a descriptor limit: room for a staged file per connection
        /// and for the store, logs and staging writes.
        package static func fitting(descriptorLimit: Int) -> Int {
            max(16, (descriptorLimit - 128) / 2)
        }
    }

    private struct State {
        var total = 0
        var perAddress: [String: Int] = [:]
        var refusedSinceLog = 0
        var lastLog: ContinuousClock.Instant?
        var pausedSinceLog = 0
        var lastPauseLog: ContinuousClock.Instant?
    }

    package let policy: Policy
    private let state = Mutex(State())
    private let logger: Logger

    package init(policy: Policy, logger: Logger) {
        self.policy = policy
        self.logger = logger
    }

    /// Open connections now.
    package var openConnections: Int { state.withLock { $0.total } }

    /// The delegate that stops Hummingbird's accept loop at the total cap.
    package var acceptDelegate: some AvailableConnectionsDelegate { AcceptDelegate(limits: self) }

    /// A handler for each connection's pipeline that enforces the per-address cap.
    package func perAddressHandler() -> some RemovableChannelHandler { PerAddressHandler(limits: self) }

    fileprivate func opened() {
        state.withLock { $0.total += 1 }
    }

    fileprivate func closed() {
        state.withLock { $0.total -= 1 }
    }

    fileprivate func isAccepting() -> Bool {
        let (accepting, paused) = state.withLock { state -> (Bool, Int?) in
            guard state.total >= policy.maximumConnections else { return (true, nil) }
            state.pausedSinceLog += 1
            let now = ContinuousClock.now
            guard state.lastPauseLog.map({ now - $0 > .seconds(60) }) ?? true else { return (false, nil) }
            state.lastPauseLog = now
            defer { state.pausedSinceLog = 0 }
            return (false, state.pausedSinceLog)
        }
        if let paused {
            logger.warning(
                "connection limit reached: not accepting new connections until one closes (server.max-connections)",
                metadata: ["limit": "\(policy.maximumConnections)", "paused-accepts-since-last-report": "\(paused)"])
        }
        return accepting
    }

    /// Counts a connection from `address`; false if the address is over its cap.
    fileprivate func admit(address: String) -> Bool {
        let (admitted, report) = state.withLock { state -> (Bool, Int?) in
            let count = state.perAddress[address, default: 0]
            guard count >= policy.maximumPerAddress else {
                state.perAddress[address] = count + 1
                return (true, nil)
            }
            state.refusedSinceLog += 1
            let now = ContinuousClock.now
            guard state.lastLog.map({ now - $0 > .seconds(60) }) ?? true else { return (false, nil) }
            state.lastLog = now
            defer { state.refusedSinceLog = 0 }
            return (false, state.refusedSinceLog)
        }
        if let report {
            logger.warning(
                "connections refused: too many from one address (server.max-connections-per-address)",
                metadata: ["address": "\(address)", "limit": "\(policy.maximumPerAddress)", "refused-since-last-report": "\(report)"])
        }
        return admitted
    }

    fileprivate func release(address: String) {
        state.withLock { state in
            let count = state.perAddress[address, default: 1] - 1
            state.perAddress[address] = count > 0 ? count : nil
        }
    }

    private struct AcceptDelegate: AvailableConnectionsDelegate {
        let limits: ConnectionLimits

        mutating func connectionOpened() { limits.opened() }
        mutating func connectionClosed() { limits.closed() }
        func isAcceptingNewConnections() -> Bool { limits.isAccepting() }
    }

    private final class PerAddressHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = NIOAny
        let limits: ConnectionLimits
        private var counted: String?
        private var refused = false

        init(limits: ConnectionLimits) {
            self.limits = limits
        }

        func handlerAdded(context: ChannelHandlerContext) {
            guard let address = context.channel.remoteAddress?.ipAddress.map(ClientAddress.limitKey) else { return }
            if limits.admit(address: address) {
                counted = address
            } else {
                refused = true
                if context.channel.isActive { refuse(context: context) }
            }
        }

        func channelActive(context: ChannelHandlerContext) {
            if refused { refuse(context: context) } else { context.fireChannelActive() }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if !refused { context.fireChannelRead(data) }
        }

        /// Answers 503 and closes, without reading the request: the bytes go out below NIO's
        /// response encoder, so nothing above it runs for a refused connection.
        private func refuse(context: ChannelHandlerContext) {
            let pipeline = context.pipeline.syncOperations
            guard let encoder = try? pipeline.context(handlerType: HTTPResponseEncoder.self) else {
                context.close(promise: nil)
                return
            }
            let body = #"{"message":"Too many connections from your address; close some and try again."}"#
            let response =
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\n"
                + "retry-after: 1\r\nconnection: close\r\n\r\n" + body
            let channel = context.channel
            encoder.writeAndFlush(NIOAny(channel.allocator.buffer(string: response))).whenComplete { _ in channel.close(promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            release()
            context.fireChannelInactive()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            release()
        }

        private func release() {
            if let address = counted { limits.release(address: address) }
            counted = nil
        }
    }
}
