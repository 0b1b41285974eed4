import Foundation

/// Tells whether another process has the store open, so that the change watcher can skip,
/// while this process is alone, the look at the writer's `PRAGMA data_version` that each of
/// its own commits would otherwise cost.
///
/// Every opener of the store holds a shared lock on `<path>-presence`. It is an open file
/// description lock (Linux): the kernel drops it when the process ends, however it ends, and
/// two stores opened in one process (as the tests do) see each other as two processes would.
/// Asking whether an exclusive lock could be taken tells whether anyone else holds one.
///
/// A process that opens the store, commits and exits between two looks may go unnoticed;
/// the roles' poll intervals see its change then, as they do any lost signal.
package final class SQLiteProcessPresence: Sendable {
    /// The lock file's descriptor; nil when it could not be opened or locked (then others
    /// are assumed present).
    private let descriptor: Int32?

    // Linux's open file description locks (`<fcntl.h>`, not exported to Swift).
    private static let getLock: Int32 = 36  // F_OFD_GETLK
    private static let setLock: Int32 = 37  // F_OFD_SETLK

    /// Opens (creating if needed) the lock file beside the database at `databasePath` and
    /// holds a shared lock on it until this value is released.
    package init(databasePath: String) {
        let descriptor = open(databasePath + "-presence", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            self.descriptor = nil
            return
        }
        var lock = Self.lock(type: F_RDLCK)
        guard fcntl(descriptor, Self.setLock, &lock) == 0 else {
            close(descriptor)
            self.descriptor = nil
            return
        }
        self.descriptor = descriptor
    }

    deinit {
        if let descriptor { close(descriptor) }
    }

    /// Whether another process (or another store in this one) has the store open; true when
    /// it cannot be told.
    package var othersPresent: Bool {
        guard let descriptor else { return true }
        var lock = Self.lock(type: F_WRLCK)
        guard fcntl(descriptor, Self.getLock, &lock) == 0 else { return true }
        return lock.l_type != F_UNLCK
    }

    private static func lock(type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = 0
        lock.l_len = 1
        return lock
    }
}
