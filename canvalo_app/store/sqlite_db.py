"""SQLite connections: a pool, one transaction per block, and a cooperative wait for locks.

SQLite's own busy wait sleeps inside the C call, which would freeze every greenlet of the
worker; here a locked database is polled with greenlet-friendly sleeps instead.
"""

from __future__ import annotations

import queue
import sqlite3
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

from ..errors import StoreUnavailable

#: How long a write waits for another connection's lock before the store is unavailable,
#: polling from every LOCK_POLL_SECONDS up to every LOCK_POLL_MAX_SECONDS.
LOCK_WAIT_SECONDS = 5.0
LOCK_POLL_SECONDS, LOCK_POLL_MAX_SECONDS = 0.005, 0.1
T = TypeVar("T")


def _locked(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # extended codes keep the primary below
    return code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class SQLiteConnections:
    """The connections to one SQLite file."""

    def __init__(self, path: str, lock_wait: float = LOCK_WAIT_SECONDS):
        self.path = path
        self.lock_wait = lock_wait
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=0, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        # SQLite's own busy wait would block the whole worker: `transaction` waits instead.
        conn.execute("PRAGMA busy_timeout = 0")
        # With WAL, NORMAL syncs at checkpoints: a crashed process loses nothing committed.
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def connection(self):
        """A pooled connection; the block is one transaction, committed when it succeeds."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
            conn.commit()
        except sqlite3.OperationalError as exc:
            conn.rollback()
            if _locked(exc):  # the connection is fine: only the lock was taken
                self._pool.put(conn)
            else:
                conn.close()
            raise
        except BaseException:
            conn.rollback()
            conn.close()
            raise
        self._pool.put(conn)

    def transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one transaction. While another connection or process holds the
        write lock, wait cooperatively (other greenlets run meanwhile) and try again, for up
        to `lock_wait` seconds; then the store is unavailable (and already waited for)."""
        deadline = time.monotonic() + self.lock_wait
        pause = LOCK_POLL_SECONDS
        while True:
            try:
                with self.connection() as conn:
                    return work(conn)
            except sqlite3.OperationalError as exc:
                if not _locked(exc):
                    raise
                if time.monotonic() + pause > deadline:
                    raise StoreUnavailable("The database stayed locked.", waited=True) from exc
            time.sleep(pause)
            pause = min(pause * 2, LOCK_POLL_MAX_SECONDS)

    def run(self, sql: str, params=()) -> tuple[list[sqlite3.Row], int]:
        """Execute one statement; return its rows (read before the connection is released)
        and the number of rows it changed."""

        def statement(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], int]:
            cursor = conn.execute(sql, params)
            return cursor.fetchall(), cursor.rowcount

        return self.transaction(statement)

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return
