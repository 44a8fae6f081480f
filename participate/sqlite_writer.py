"""SQLite writers take turns in a queue instead of sleeping on SQLite's busy handler.

SQLite lets one connection write at a time. A second writer gets "busy", and the busy handler
behind ``PRAGMA busy_timeout`` sleeps and retries with growing pauses (1, 2, 5, 10, 15, 20,
25 ms...). Under a burst of votes from several gunicorn threads and workers most writers
are asleep in those pauses while the lock is free: the CPU idles, throughput falls, and a
few unlucky votes wait hundreds of milliseconds.

So each process's writers queue on a lock, and the one at the front takes an advisory file
lock (``flock``) beside the database that the other processes' fronts wait on, from the first
write of its transaction until the commit or rollback. A process that has just finished a
turn lets another process that is already waiting go first (see ``_Turn``). A waiter
tries every half millisecond at most, and SQLite's own lock is then uncontended: its busy
handler is a fallback (for a process that does not take part, such as the ``sqlite3``
shell).

Reads never queue (WAL lets them run beside a writer). What counts as a write is decided from
the statement's first word, conservatively: anything that is not a read or a transaction
command. Mistaking one either way costs only speed, never correctness: SQLite's own locking
still decides. A waiter gives up queueing after the busy timeout and goes on to SQLite's own
locking, as before; and a thread that already holds the turn through another connection
does not queue again (it would wait on itself).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

# How long a writer waits, for its turn and then (PRAGMA busy_timeout) for SQLite's lock.
BUSY_TIMEOUT = 10.0
# First words of statements that write nothing: no turn needed.
_READS = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK",
                    "COMMIT", "END", "VALUES", "ANALYZE"})  # fmt: skip
# Pauses between tries of another process's turn: short, since the turn is a transaction of
# a few statements; never the busy handler's tens of milliseconds.
_FIRST_PAUSE, _LONGEST_PAUSE = 0.0001, 0.0005
# How long at most a process lets another one that is already waiting go first. The wait
# ends as soon as the other takes the turn (within its half-millisecond tries); the bound
# only matters when that process is slow to be scheduled on a busy machine, and then
# letting it go first is still the fair thing.
_COURTESY = 0.05


def _writes(sql: str) -> bool:
    head = sql.lstrip()[:10].split(None, 1)
    return bool(head) and head[0].upper() not in _READS


def _try_lock(fd: int, kind: int) -> bool:
    try:
        fcntl.flock(fd, kind | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _Turn:
    """One database file's writers in this process: the queue (a lock), the thread at its
    front, and the two files it shares with the other processes. The front holds the
    first (``.writer-lock``) for its transaction. While it waits for another process's
    turn to end it holds the second (``.writer-wait``) shared: a sign that a process
    finishing a turn reads before taking the next one, and then lets the waiting process
    go first. Without it, the threads of one process hand the turn to each other (a local
    lock wakes at once) while the other process's front, between its tries, never gets it:
    that process's writes stall and half the machine idles."""

    def __init__(self, path: str) -> None:
        self.path = path + ".writer-lock"
        self.waiting_path = path + ".writer-wait"
        self.queue = threading.Lock()
        self.owner: int | None = None
        self.fds: tuple[int, int] | None = None
        self.pid = 0

    def _files(self) -> tuple[int, int]:
        if self.fds is None or self.pid != os.getpid():  # a forked child opens its own
            self.fds = (
                os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600),
                os.open(self.waiting_path, os.O_RDWR | os.O_CREAT, 0o600),
            )
            self.pid = os.getpid()
        return self.fds

    def take(self, timeout: float) -> bool:
        """Wait for the turn; False (go on without it) when this thread holds it already
        through another connection, or after ``timeout`` seconds."""
        me = threading.get_ident()
        if self.owner == me or not self.queue.acquire(timeout=timeout):
            return False
        self.owner = me
        deadline = time.monotonic() + timeout
        try:
            turn, waiting = self._files()
            self._after_those_waiting(waiting, deadline)
            if _try_lock(turn, fcntl.LOCK_EX):
                return True
            fcntl.flock(waiting, fcntl.LOCK_SH)  # held for microseconds by courtesy checks
            try:
                pause = _FIRST_PAUSE
                while time.monotonic() < deadline:
                    time.sleep(pause)
                    pause = min(pause * 2, _LONGEST_PAUSE)
                    if _try_lock(turn, fcntl.LOCK_EX):
                        return True
            finally:
                fcntl.flock(waiting, fcntl.LOCK_UN)
        except OSError:  # no lock file (a read-only directory): SQLite's locking alone
            pass
        self.owner = None
        self.queue.release()
        return False

    @staticmethod
    def _after_those_waiting(waiting: int, deadline: float) -> None:
        """Let a process that already waits for the turn have it first (it tries every
        half millisecond; ``_COURTESY`` bounds the wait)."""
        until = min(deadline, time.monotonic() + _COURTESY)
        while not _try_lock(waiting, fcntl.LOCK_EX):
            if time.monotonic() > until:
                return
            time.sleep(_FIRST_PAUSE)
        fcntl.flock(waiting, fcntl.LOCK_UN)

    def give_back(self) -> None:
        try:
            if self.fds is not None and self.pid == os.getpid():
                fcntl.flock(self.fds[0], fcntl.LOCK_UN)
        finally:
            self.owner = None
            self.queue.release()


_turns: dict[str, _Turn] = {}
_turns_lock = threading.Lock()


def _turn_for(database: Any, uri: bool) -> _Turn | None:
    """The turn of a database file; None for an in-memory or URI-named database."""
    name = os.fspath(database) if isinstance(database, (str, os.PathLike)) else None
    if not name or uri or name == ":memory:" or name.startswith("file:"):
        return None
    path = os.path.realpath(name)
    with _turns_lock:
        turn = _turns.get(path)
        if turn is None:
            turn = _turns[path] = _Turn(path)
        return turn


def _forget_after_fork() -> None:
    """A forked child starts with no turn held: a lock held by another thread of the
    parent would never be released in the child."""
    global _turns_lock
    _turns.clear()
    _turns_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


class TurnTakingCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self._in_turn(super().execute, sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Any:
        return self._in_turn(super().executemany, sql, seq_of_parameters)

    def _in_turn(self, run: Any, sql: str, parameters: Any) -> Any:
        """Run a statement, first waiting for the turn if it is the transaction's first
        write; give the turn back at once when no transaction holds it (autocommit, or a
        statement that failed before its transaction began)."""
        connection: TurnTakingConnection = self.connection  # type: ignore[assignment]
        if connection.turn is None or connection.turn_decided or not _writes(sql):
            return run(sql, parameters)
        connection.take_turn()
        try:
            return run(sql, parameters)
        finally:
            if not connection.in_transaction:
                connection.end_turn()


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection whose writes wait for their turn (``connect(factory=...)``)."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        self.turn: _Turn | None = None
        self.has_turn = False
        # This transaction asked for its turn already: it holds it, or it went on without
        # it (a timeout, or the thread held it through another connection) and its later
        # writes do not ask (and wait) again.
        self.turn_decided = False
        super().__init__(database, *args, **kwargs)
        self.turn = _turn_for(database, bool(kwargs.get("uri")))

    def take_turn(self) -> None:
        if self.turn is not None:
            self.has_turn = self.turn.take(BUSY_TIMEOUT)
            self.turn_decided = True

    def end_turn(self) -> None:
        self.turn_decided = False
        if self.has_turn:
            self.has_turn = False
            self.turn.give_back()  # type: ignore[union-attr]

    def cursor(self, factory: Any = TurnTakingCursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def commit(self) -> None:
        self._then_end_turn(super().commit)

    def rollback(self) -> None:
        self._then_end_turn(super().rollback)

    def close(self) -> None:
        self._then_end_turn(super().close)

    def _then_end_turn(self, end: Any) -> None:
        """The transaction ends (or the connection closes), then the turn: even when the
        end fails, so no failure keeps the other writers waiting."""
        try:
            end()
        finally:
            self.end_turn()

    def __del__(self) -> None:
        # A connection dropped without commit, rollback or close (its thread died) must
        # not keep every other writer of this process waiting for the turn's timeout.
        self.end_turn()
