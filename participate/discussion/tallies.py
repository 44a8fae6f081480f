"""Vote counters that do not make every voter of a popular statement wait for the others.

A statement's ``agree_count``/``disagree_count``/``pass_count`` are what the list pages
sort and show without a COUNT. Moving them in the vote's transaction puts a row lock on
the statement from the vote until its commit (the commit's WAL flush included), and on
PostgreSQL every other voter of that statement queues for it: one popular statement then
takes its votes one commit at a time, however many cores the database has. (On this
project's 2-core test machine the CPU runs out first: all votes on one statement, the
rate stayed the same, 317 against 331 a second, and the p99 went from 296 to 156 ms.)
So on PostgreSQL a vote moves one of
:data:`SHARDS` tally rows of its statement (the voter's: ``participant_id % SHARDS``),
and :func:`fold` moves the tallies into the statement's counters in batches: soon after
votes (:func:`fold_soon`, one job per discussion per :data:`FOLD_AFTER` seconds and
process) and every minute for whatever a lost job left (:func:`fold_all`). Everything
stays exact: a tally row is a delta, deleted in the same statement that adds it to the
counters, and the places that show one statement's live figure (the vote's answer, the
API, the statement's pages) add the deltas not folded yet (:func:`show_live`). Lists
sorted by votes may be a few seconds behind.

SQLite lets one writer in at a time whatever the rows, so a statement row costs nothing
more there: the vote moves the counters directly and the tally table stays empty (and
:func:`spread` says so, sparing the reads).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from threading import Lock
from typing import Any

from huey import crontab
from sqlalchemy import func, select, text
from sqlalchemy.orm.attributes import set_committed_value

from participate.extensions import db
from participate.jobs import app_periodic_task, app_task, huey
from participate.models import Statement, StatementTally

SHARDS = 16
FOLD_AFTER = 2.0  # seconds: the votes of this long are folded together

_TT = StatementTally.__table__
_LOCK_CLASS = 7301  # the advisory lock space of folds: (7301, discussion id)
_NAMES = ("agree_count", "disagree_count", "pass_count")

# On PostgreSQL one statement: the tallies deleted are the tallies added (a vote that
# moves a row meanwhile waits for this delete, then starts a new row).
_FOLD_SQL = (
    "WITH gone AS ("
    " DELETE FROM statement_tally t {where} RETURNING t.statement_id, t.agree_count,"
    " t.disagree_count, t.pass_count"
    "), sums AS ("
    " SELECT statement_id, sum(agree_count) AS a, sum(disagree_count) AS d,"
    " sum(pass_count) AS p FROM gone GROUP BY statement_id"
    ") UPDATE statement SET agree_count = statement.agree_count + sums.a,"
    " disagree_count = statement.disagree_count + sums.d,"
    " pass_count = statement.pass_count + sums.p"
    " FROM sums WHERE statement.id = sums.statement_id"
)
_FOLD_ONE = text(
    _FOLD_SQL.format(
        where="USING statement s WHERE t.statement_id = s.id AND s.discussion_id = :discussion_id"
    )
)
_TRY_LOCK = text(f"SELECT pg_try_advisory_xact_lock({_LOCK_CLASS}, :discussion_id)")


def spread() -> bool:
    """Whether votes go to tally rows (PostgreSQL) rather than the statement's counters."""
    return db.session.get_bind().dialect.name == "postgresql"


def shard_of(participant_id: int) -> int:
    return participant_id % SHARDS


def unfolded(statement_ids: Iterable[int]) -> dict[int, tuple[int, int, int]]:
    """The votes of ``statement_ids`` not in their counters yet: (agree, disagree, pass)."""
    ids = list(statement_ids)
    if not ids or not spread():
        return {}
    rows = db.session.execute(
        select(
            _TT.c.statement_id,
            func.sum(_TT.c.agree_count),
            func.sum(_TT.c.disagree_count),
            func.sum(_TT.c.pass_count),
        )
        .where(_TT.c.statement_id.in_(ids))
        .group_by(_TT.c.statement_id)
    )
    return {sid: (int(a), int(d), int(p)) for sid, a, d, p in rows}


def unfolded_in(discussion_id: Any) -> Any:
    """SQL: the votes of a discussion not in its statements' counters yet (NULL for none),
    for a query that adds them to the counters' sum."""
    st = Statement.__table__
    return (
        select(func.sum(_TT.c.agree_count + _TT.c.disagree_count + _TT.c.pass_count))
        .join(st, st.c.id == _TT.c.statement_id)
        .where(st.c.discussion_id == discussion_id)
        .scalar_subquery()
    )


def show_live(statements: Iterable[Statement]) -> None:
    """Add the unfolded votes to loaded statements' counters, as they are shown (one query;
    none on SQLite). The objects are only read after this: their counters are set as if
    loaded, so nothing is written back."""
    loaded = [s for s in statements if s is not None]
    extra = unfolded(s.id for s in loaded)
    for statement in loaded:
        delta = extra.get(statement.id)
        if delta is None:
            continue
        for name, more in zip(_NAMES, delta, strict=True):
            set_committed_value(statement, name, (getattr(statement, name) or 0) + more)


def fold(discussion_id: int | None = None) -> int:
    """Move the tallies (of one discussion, or of every discussion that has some) into the
    statements' counters; returns how many statements changed. Part of the caller's
    transaction, like any operation.

    One fold per discussion at a time (a transaction-scoped advisory lock, tried, never
    waited for): two folds of one discussion could otherwise lock its statements' rows in
    opposite orders and deadlock; the one that finds the lock taken leaves the deltas to
    the next fold (a later vote's, or :func:`fold_all` within the minute)."""
    if not spread():
        return 0
    if discussion_id is not None:
        ids = [discussion_id]
    else:
        ids = list(
            db.session.scalars(
                select(Statement.discussion_id)
                .join(StatementTally, StatementTally.statement_id == Statement.id)
                .distinct()
            )
        )
    moved = 0
    for did in ids:
        if db.session.execute(_TRY_LOCK, {"discussion_id": did}).scalar():
            moved += db.session.execute(_FOLD_ONE, {"discussion_id": did}).rowcount
    return moved


@app_task(retries=2, retry_delay=5)
def fold_discussion(discussion_id: int) -> None:
    """The job :func:`fold_soon` queues: one discussion's tallies into its counters."""
    fold(discussion_id)


@app_periodic_task(crontab(minute="*"))
def fold_all() -> None:
    """Every minute: whatever a fold job lost on the way (a consumer killed, a queue
    flushed) left in the tallies."""
    fold()


_due: dict[int, float] = {}
_due_lock = Lock()


def fold_soon(discussion_id: int) -> None:
    """The vote's outbox effect on PostgreSQL: a fold of its discussion within
    :data:`FOLD_AFTER` seconds. Each process queues at most one per discussion and period
    (the votes between are folded together); a job lost on the way is made good by
    :func:`fold_all` within a minute."""
    if huey.immediate:  # no consumer: fold now (tests, a laptop without a consumer)
        fold_discussion(discussion_id)
        return
    now = time.monotonic()
    with _due_lock:
        if _due.get(discussion_id, 0.0) > now:
            return
        _due[discussion_id] = now + FOLD_AFTER
    fold_discussion.schedule((discussion_id,), delay=FOLD_AFTER)
