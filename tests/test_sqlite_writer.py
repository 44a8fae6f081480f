"""SQLite writers take turns (participate.sqlite_writer): the file lock beside the database is
held from a transaction's first write to its end, reads never take it, and the cases where
waiting for it would hang (a thread writing through a second connection, autocommit) go on
to SQLite's own locking instead."""

from __future__ import annotations

import fcntl
import gc
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from participate.sqlite_writer import TurnTakingConnection
from tests.conftest import BACKEND


def _connect(path: Path, **kwargs: object) -> sqlite3.Connection:
    connection = sqlite3.connect(path, factory=TurnTakingConnection, **kwargs)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    path = tmp_path / "turns.db"
    with _connect(path) as connection:
        connection.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
        connection.execute("INSERT INTO counter VALUES (1, 0)")
    return path


def _file_lock_is_free(path: Path) -> bool:
    """What another process sees: can it take the writers' file lock now?"""
    fd = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the descriptor drops a lock it took
    return True


def test_the_turn_is_held_from_the_first_write_to_the_commit(database: Path) -> None:
    connection = _connect(database)
    cursor = connection.cursor()
    cursor.execute("SELECT n FROM counter")
    assert _file_lock_is_free(database)  # reads never queue
    cursor.execute("UPDATE counter SET n = n + 1")
    assert not _file_lock_is_free(database)
    cursor.execute("UPDATE counter SET n = n + 1")  # the same turn, not a second one
    connection.commit()
    assert _file_lock_is_free(database)
    cursor.execute("INSERT INTO counter VALUES (2, 0)")
    assert not _file_lock_is_free(database)
    connection.rollback()
    assert _file_lock_is_free(database)
    assert connection.execute("SELECT count(*), sum(n) FROM counter").fetchone() == (1, 2)
    connection.close()


def test_an_autocommitted_write_gives_the_turn_back_at_once(database: Path) -> None:
    connection = _connect(database, isolation_level=None)
    connection.cursor().execute("UPDATE counter SET n = n + 1")
    assert _file_lock_is_free(database)  # no commit will come to end the turn
    connection.close()


def test_a_connection_dropped_mid_transaction_gives_the_turn_back(database: Path) -> None:
    # Its thread died between a write and the commit: the other writers of the process
    # must not wait for the turn's timeout on every write from then on.
    def write_and_die() -> None:
        _connect(database).cursor().execute("UPDATE counter SET n = n + 1")

    writer = threading.Thread(target=write_and_die)
    writer.start()
    writer.join()
    gc.collect()
    assert _file_lock_is_free(database)
    connection = _connect(database)
    assert connection.execute("SELECT n FROM counter").fetchone() == (0,)  # rolled back
    connection.close()


def test_a_second_connection_of_the_same_thread_does_not_wait_on_itself(
    database: Path,
) -> None:
    # Waiting for the turn would wait for this very thread (for the turn's whole timeout,
    # ten seconds). It goes straight to SQLite, which says the database is locked after its
    # own busy timeout (short here), well within the five seconds the test waits.
    outcome: list[str] = []

    def write_twice() -> None:
        first = _connect(database)
        first.cursor().execute("UPDATE counter SET n = n + 1")
        second = _connect(database, timeout=0.2)
        try:
            second.cursor().execute("UPDATE counter SET n = n + 10")
            outcome.append("written")
        except sqlite3.OperationalError as exc:
            outcome.append(str(exc))
        finally:
            first.commit()
            second.close()
            first.close()

    writer = threading.Thread(target=write_twice, daemon=True)
    writer.start()
    writer.join(timeout=5)
    assert outcome == ["database is locked"]


def test_a_process_waiting_for_the_turn_gets_it_before_the_holder_takes_it_again(
    database: Path,
) -> None:
    # This process writes and holds the turn; another process starts a write and waits.
    # When this one commits and at once writes again, the waiting process goes first:
    # the rows get their ids in the order 1, 2, 3 (a local re-take would have passed it by).
    connection = _connect(database)
    connection.cursor().execute("INSERT INTO counter (n) VALUES (1)")
    script = f"""
import sqlite3, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from participate.sqlite_writer import TurnTakingConnection
c = sqlite3.connect({str(database)!r}, factory=TurnTakingConnection, timeout=30)
c.cursor().execute("INSERT INTO counter (n) VALUES (2)")
c.commit()
"""
    other = subprocess.Popen([sys.executable, "-c", script])
    try:
        waiting = os.open(f"{database}.writer-wait", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            for _ in range(1000):  # until the other process shows it waits (at most 10 s)
                if not _try(waiting):
                    break
                threading.Event().wait(0.01)
            else:
                pytest.fail("the other process never waited for the turn")
        finally:
            os.close(waiting)
        connection.commit()
        connection.cursor().execute("INSERT INTO counter (n) VALUES (3)")
        connection.commit()
        assert other.wait(timeout=30) == 0
    finally:
        if other.poll() is None:
            other.kill()
    rows = connection.execute("SELECT n FROM counter WHERE n > 0 ORDER BY id")  # ids in turn
    order = [n for (n,) in rows]
    connection.close()
    assert order == [1, 2, 3]


def _try(fd: int) -> bool:
    """Take and drop the lock at once; False when someone holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


def test_threads_and_processes_writing_at_once_lose_nothing(database: Path) -> None:
    # Two processes of four threads each, 100 increments a thread, each its own
    # transaction that writes, then reads what it wrote: every increment lands, and no
    # writer meets "database is locked".
    script = f"""
import sqlite3, threading, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from participate.sqlite_writer import TurnTakingConnection
def work():
    c = sqlite3.connect({str(database)!r}, factory=TurnTakingConnection, timeout=30)
    for _ in range(100):
        c.cursor().execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        c.cursor().execute("SELECT n FROM counter WHERE id = 1").fetchone()
        c.commit()
    c.close()
threads = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in threads]
[t.join() for t in threads]
"""
    runs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    assert [run.wait(timeout=120) for run in runs] == [0, 0]
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT n FROM counter WHERE id = 1").fetchone() == (800,)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the app's SQLite connections")
def test_the_apps_sqlite_connections_take_turns_in_wal_mode(app) -> None:
    from participate.extensions import db

    with app.app_context():
        connection = db.session.connection()
        assert isinstance(connection.connection.driver_connection, TurnTakingConnection)
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        db.session.rollback()
