/// Whether the client that asked for the current work is still connected, so that work
/// queued on its behalf (a password check waiting for a hashing thread) can be dropped when
/// it has gone. The HTTP layer sets it, as a task-local value, around work it may abandon.
package enum CallerConnection {
    /// True while the client is connected; always true outside an HTTP request.
    @TaskLocal package static var isOpen: @Sendable () -> Bool = { true }
}
