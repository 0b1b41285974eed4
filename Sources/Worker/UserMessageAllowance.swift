import Synchronization

/// Bounds what one attempt's datasource adds to the user's message: a line repeating the one
/// before is dropped, long lines are cut, and after `maximumLines` lines one last line says
/// that the rest was left out. (Lines the store adds on requeues are bounded by the attempts.)
final class UserMessageAllowance: Sendable {
    static let maximumLines = 20
    static let maximumLineLength = 2_000

    private struct State {
        var lines = 0
        var last: String?
    }

    private let state = Mutex(State())

    /// The line to append for `line`, or nil to append nothing.
    func admit(_ line: String) -> String? {
        let cut = line.count > Self.maximumLineLength ? String(line.prefix(Self.maximumLineLength)) + " …" : line
        return state.withLock { state in
            guard cut != state.last, state.lines <= Self.maximumLines else { return nil }
            state.last = cut
            state.lines += 1
            return state.lines > Self.maximumLines ? "(further messages of this attempt left out)" : cut
        }
    }
}
