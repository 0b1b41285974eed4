"""Store files made outside the server: copies flushed to disk, and SQLite fills of the
requests table written as the server writes it (indexes dropped during the insert and
recreated with the server's own statements). Used by the store and dispatch benchmarks."""

import os
import shutil
import sqlite3

# A lowercase version-4 UUID in SQL, from h (32 random hex digits) and the row number i.
UUID_SQL = "substr(h,1,8)||'-'||substr(h,9,4)||'-4'||substr(h,14,3)||'-'||substr('89ab',1+(i%4),1)||substr(h,18,3)||'-'||substr(h,21,12)"


def copy_synced(source, target):
    """Copies a store file and flushes the copy to disk, so that the server's first checkpoint
    does not have to write back the whole copy (that would show up as a latency spike)."""
    shutil.copyfile(source, target)
    with open(target, "rb+") as f:
        os.fsync(f.fileno())
    fd = os.open(os.path.dirname(target), os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def store_indexes(db):
    return list(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests' AND sql IS NOT NULL"))


def open_for_fill(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")  # a plain rollback journal while filling; WAL again at the end
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    return db


def finish_fill(db):
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    os.sync()
