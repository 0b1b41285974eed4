/// Whether a client connection is still open; the HTTP layer implements it over its channel.
package protocol ConnectionLiveness: Sendable {
    /// True while the client is connected.
    var isOpen: Bool { get }
}

/// The connection of the client that asked for the current work, so that work queued on its
/// behalf (a password check waiting for a hashing thread) can be dropped when it has gone.
/// The HTTP layer sets it, as a task-local value, around work it may abandon.
///
/// The value is an existential rather than a closure: closure-typed task-locals crashed
/// release builds (swift_task_localValuePush) with Swift 6.3.
package enum CallerConnection {
    /// The caller's connection; nil outside an HTTP request.
    @TaskLocal package static var current: (any ConnectionLiveness)?

    /// True while the caller is connected; always true outside an HTTP request.
    package static var isOpen: Bool { current?.isOpen ?? true }
}
