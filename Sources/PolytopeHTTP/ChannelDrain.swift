import NIOCore

/// Waits for a connection's buffered response bytes to reach the socket.
///
/// Hummingbird closes a connection as soon as the last part of a response is queued when the
/// server is shutting down, and NIO discards whatever the connection still buffers at
/// close. A long download to a slow client would then be cut short. Waiting here, before the
/// response ends, lets it finish whole.
package enum ChannelDrain {
    /// Returns once `channel` has nothing left to write, is closed, or `timeout` passes.
    package static func waitUntilFlushed(_ channel: any Channel, timeout: Duration = .seconds(60)) async {
        let deadline = ContinuousClock.now + timeout
        while channel.isActive, ContinuousClock.now < deadline {
            guard let pending = try? await channel.getOption(.bufferedWritableBytes).get(), pending > 0 else { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
