"""What one analysis run computes and stores: the run's parameters, the discussion's votes
read as one snapshot, ``nlp.analyze`` over them, and the versioned :class:`Analysis` row
with its status transitions.

No scheduling here: :mod:`participate.reports.scheduler` claims the discussion, calls these
steps in its units of work (the computation itself outside any transaction) and releases
the claim. A failure is recorded on its own row with the error text and never touches the
last succeeded row, which the pages keep showing.
"""

from __future__ import annotations

import functools
import itertools
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import Table, select

from participate.extensions import db
from participate.models import (
    Analysis,
    AnalysisStatus,
    ContentStatus,
    Statement,
    Vote,
    VoteHistory,
)
from participate.reports import queries
from participate.timeutil import utcnow

BATCH = 50_000  # rows the SQLite driver hands over at a time

# Parameters a run accepts, with their checks; anything else is refused (and recorded).
DEFAULT_PARAMS: dict[str, Any] = {
    "seed": 0,
    "max_groups": 5,
    "fdr": 0.1,
    "min_votes": 7,
    "clustering": "polis",
}

# The one place analysis statuses change: from -> allowed targets.
ALLOWED: dict[AnalysisStatus, set[AnalysisStatus]] = {
    AnalysisStatus.QUEUED: {AnalysisStatus.RUNNING, AnalysisStatus.FAILED},
    AnalysisStatus.RUNNING: {AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED},
    AnalysisStatus.SUCCEEDED: set(),
    AnalysisStatus.FAILED: set(),
}


def transition(analysis: Analysis, target: AnalysisStatus, now: datetime | None = None) -> None:
    """Move ``analysis`` to ``target`` or raise ValueError; stamps start/finish times."""
    current = analysis.status or AnalysisStatus.QUEUED
    if target not in ALLOWED[current]:
        raise ValueError(f"analysis {analysis.id}: {current} -> {target} is not allowed")
    now = now or utcnow()
    analysis.status = target
    if target == AnalysisStatus.RUNNING:
        analysis.started_at = now
    elif target in (AnalysisStatus.SUCCEEDED, AnalysisStatus.FAILED):
        analysis.finished_at = now


# --- Parameters -------------------------------------------------------------------------


class AnalysisInputError(ValueError):
    """The discussion's data or the run's parameters cannot be analysed."""


def check_params(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults, then ``ANALYSIS_PARAMS`` from the config, then the run's own overrides."""
    params = dict(DEFAULT_PARAMS)
    params.update(current_app.config.get("ANALYSIS_PARAMS") or {})
    params.update(overrides or {})
    unknown = set(params) - set(DEFAULT_PARAMS)
    if unknown:
        raise AnalysisInputError(f"unknown analysis parameters: {sorted(unknown)}")
    if not isinstance(params["max_groups"], int) or not 2 <= params["max_groups"] <= 9:
        raise AnalysisInputError(
            f"max_groups must be an integer 2..9, not {params['max_groups']!r}"
        )
    if not isinstance(params["seed"], int):
        raise AnalysisInputError("seed must be an integer")
    if params["fdr"] is not None and not (
        isinstance(params["fdr"], int | float) and 0 < params["fdr"] < 1
    ):
        raise AnalysisInputError("fdr must be between 0 and 1, or null")
    if not isinstance(params["min_votes"], int) or params["min_votes"] < 1:
        raise AnalysisInputError("min_votes must be a positive integer")
    if params["clustering"] not in ("polis", "direct", "base"):
        raise AnalysisInputError("clustering must be 'polis', 'direct' or 'base'")
    return params


# --- Reading the discussion -------------------------------------------------------------


@dataclass
class Inputs:
    """One snapshot of a discussion's vote events and statements, as ``nlp`` takes them.

    ``participants``, ``statements``, ``values``: int64 arrays, one row per vote event in
    order (read in bulk, never as ORM objects: 2,000,000 events are three arrays)."""

    participants: np.ndarray
    statements: np.ndarray
    values: np.ndarray
    texts: dict[int, str]
    hidden: list[int]
    last_vote_id: int | None
    last_vote_at: datetime | None
    vote_events: int
    vote_count: int
    authors: set[int]


def _warm_up(texts: list[str]) -> None:
    try:
        from nlp.analysis import segment_ahead  # and with it scipy and the rest

        segment_ahead(texts)
    except Exception:  # noqa: BLE001, S110 - the run itself meets and reports the same error
        pass


def warm_up(texts: list[str]) -> threading.Thread:
    """Load the analysis code and the segmenter and segment the statements in a background
    thread while this one waits for the database: in a fresh process (``flask analyse``)
    that is a second and a half of CPU the other core does during the read. Harmless when
    warm (the worker's second run): everything it touches is memoised. Not under tests
    (:func:`load_inputs`): jieba's first import swaps the process's warning filters, which
    a test's own filters must not race with."""
    thread = threading.Thread(target=_warm_up, args=(texts,), name="analysis-warm-up")
    thread.daemon = True
    thread.start()
    return thread


def load_inputs(discussion_id: int) -> Inputs:
    """Vote events in order (the history, so changed votes count as Pol.is does) and the
    statements; hidden statements are passed as moderated out."""
    rows = db.session.execute(
        select(Statement.id, Statement.text, Statement.status, Statement.author_id).where(
            Statement.discussion_id == discussion_id
        )
    ).all()
    texts = {r.id: r.text for r in rows if r.status == ContentStatus.VISIBLE}
    hidden = sorted(r.id for r in rows if r.status != ContentStatus.VISIBLE)
    if not current_app.testing:
        warm_up(list(texts.values()))
    events = _vote_arrays(VoteHistory.__table__, discussion_id)
    last_at_col = VoteHistory.created_at
    # The statements' tallies, as the report page counts the votes that came after a run.
    vote_count = queries.vote_count(discussion_id)
    has_votes = vote_count or db.session.scalar(
        select(Vote.id).where(Vote.discussion_id == discussion_id).limit(1)
    )
    if not events[0].size and has_votes:
        # Data written without history (a bulk import): current votes, oldest change first.
        events = _vote_arrays(Vote.__table__, discussion_id, by_update=True)
        last_at_col = Vote.updated_at
    ids, participants, statements, values = events
    bad = np.nonzero((values < -1) | (values > 1))[0]
    if bad.size:
        raise AnalysisInputError(
            f"{bad.size} vote(s) with a value other than -1, 0, 1 (first: vote event "
            f"{int(ids[bad[0]])}, value {int(values[bad[0]])})"
        )
    last_id = int(ids.max()) if ids.size else None
    last_at = None
    if last_id is not None:
        model = last_at_col.class_
        last_at = db.session.scalar(select(last_at_col).where(model.id == last_id))
    return Inputs(
        participants=participants,
        statements=statements,
        values=values,
        texts=texts,
        hidden=hidden,
        last_vote_id=last_id,
        last_vote_at=last_at,
        vote_events=int(ids.size),
        vote_count=int(vote_count),
        authors={r.author_id for r in rows if r.author_id is not None},
    )


def _vote_arrays(
    table: Table, discussion_id: int, by_update: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The discussion's rows of ``table`` (``vote_history`` or ``vote``) as four int64 arrays
    (id, participant, statement, value) in id order (``by_update``: oldest ``updated_at``
    first, then id), read inside the session's transaction without a Python object per row.

    PostgreSQL: one row of two (three with ``by_update``) ``int8[]`` aggregates, each
    element packing two columns without loss (``id << 16 | value`` as 16 bits,
    ``participant << 32 | statement``, the update time in microseconds), received in the
    binary format as raw bytes and unpacked by numpy (:func:`_int8_array`): 2,000,000
    events are 40 MB in one message. Half the server time of the four ``string_agg
    (int4send(...))`` aggregates it replaces, and ``COPY TO`` sends one message per row
    (reading 2M messages in Python took longer than the analysis). Elsewhere (SQLite): one
    Core select, its rows streamed from the driver's cursor into one array.
    """
    c = table.c
    conn = db.session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        stamp = "(extract(epoch from updated_at) * 1000000)::int8"
        sql = (
            "SELECT array_agg((id::int8 << 16) | (value::int4 & 65535)), "
            "array_agg((participant_id::int8 << 32) | statement_id::int8)"
            + (f", array_agg({stamp})" if by_update else "")
            + f" FROM {table.name} WHERE discussion_id = %s"
        )
        raw = conn.connection.dbapi_connection
        with raw.cursor(binary=True) as cur:
            cur.adapters.register_loader(INT8_ARRAY_OID, _raw_binary())
            cur.execute(sql, (discussion_id,))
            row = cur.fetchone()
        if row is None or row[0] is None:
            return tuple(np.zeros(0, dtype=np.int64) for _ in range(4))  # type: ignore[return-value]
        packed, pair = _int8_array(row[0]), _int8_array(row[1])
        ids = packed >> 16
        values = (packed & 0xFFFF).astype(np.uint16).view(np.int16).astype(np.int64)
        participants, statements = pair >> 32, pair & 0xFFFFFFFF
        if by_update:
            order = np.lexsort((ids, _int8_array(row[2])))
        elif ids.size < 2 or bool((ids[1:] > ids[:-1]).all()):
            return ids, participants, statements, values  # in id order already (an import)
        else:
            order = np.argsort(ids, kind="stable")
        return ids[order], participants[order], statements[order], values[order]
    query = (
        select(c.id, c.participant_id, c.statement_id, c.value)
        .where(c.discussion_id == discussion_id)
        .order_by(*((c.updated_at, c.id) if by_update else (c.id,)))
    )
    rows = conn.execute(query.execution_options(yield_per=BATCH))
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64)
    arr = flat.reshape(-1, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


INT8_ARRAY_OID = 1016  # int8[] (pg_type)


@functools.cache
def _raw_binary() -> type:
    """A psycopg loader leaving an ``int8[]`` in PostgreSQL's binary format as bytes for
    numpy (built on first use: SQLite sites need not import psycopg)."""
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    class RawBinary(Loader):
        format = Format.BINARY

        def load(self, data: Any) -> bytes:
            return bytes(data)

    return RawBinary


def _int8_array(data: bytes) -> np.ndarray:
    """A one-dimensional ``int8[]`` without NULLs from its binary form: a header (number
    of dimensions, NULL flag, element type, then size and lower bound per dimension), then
    a length (4 bytes) and a big-endian value (8 bytes) per element."""
    ndim, has_null = int.from_bytes(data[0:4], "big"), int.from_bytes(data[4:8], "big")
    if ndim == 0:
        return np.zeros(0, dtype=np.int64)
    if ndim != 1 or has_null:
        raise AnalysisInputError("unexpected vote array (NULL or several dimensions)")
    cells = np.frombuffer(data, dtype=[("length", ">i4"), ("value", ">i8")], offset=20)
    return cells["value"].astype(np.int64)


def fingerprint(inputs: Inputs) -> dict[str, Any]:
    """What a run read, stored with its result: an equal fingerprint means nothing new."""
    return {
        "last_vote_id": inputs.last_vote_id,
        "vote_events": inputs.vote_events,
        "statements": sorted(inputs.texts),
        "hidden": inputs.hidden,
    }


# --- The previous report ---------------------------------------------------------------


@dataclass(frozen=True)
class Previous:
    """The last succeeded run, as plain values read inside a unit of work (the row itself
    expires when that unit commits, before the computation)."""

    id: int
    version: int
    parameters: dict[str, Any]
    result: dict[str, Any] | None


def previous_run(discussion_id: int) -> Previous | None:
    """The last good run: its result seeds the group numbering of the next one."""
    row = queries.latest_succeeded(discussion_id)
    if row is None:
        return None
    return Previous(row.id, row.version, dict(row.parameters or {}), row.result)


def unchanged(previous: Previous | None, inputs: Inputs, params: dict[str, Any]) -> bool:
    """Nothing new since the last good run (a catch-up after a no-op vote change)?"""
    return (
        previous is not None
        and previous.parameters.get("input") == fingerprint(inputs)
        and previous.parameters.get("nlp") == params
    )


# --- The analysis rows ------------------------------------------------------------------


def start_run(
    discussion_id: int,
    trigger: str,
    requested_by: int | None,
    params: dict[str, Any] | None,
    attempt: int,
    now: datetime,
) -> int:
    """Add this run's row, RUNNING from ``now``; returns its id (flushed, not committed)."""
    analysis = Analysis(
        discussion_id=discussion_id,
        version=queries.next_version(discussion_id),
        status=AnalysisStatus.QUEUED,
        trigger=trigger[:16],
        requested_by_id=requested_by,
        attempt=attempt,
        parameters={"requested": params or {}},
        timings={},
        vote_events=0,
        vote_count=0,
    )
    db.session.add(analysis)
    transition(analysis, AnalysisStatus.RUNNING, now)
    db.session.flush()
    return analysis.id


def discard_run(analysis_id: int) -> None:
    """Forget a run that found nothing new: the last good row stays the latest version."""
    analysis = db.session.get(Analysis, analysis_id)
    if analysis is not None:
        db.session.delete(analysis)
        db.session.flush()


def compute(inputs: Inputs, params: dict[str, Any], previous: Previous | None) -> dict[str, Any]:
    """``nlp.analyze`` over the inputs: the long part of a run, which touches no database
    (the scheduler calls it outside any transaction). Returns the result JSON."""
    from nlp import analyze

    with np.errstate(all="ignore"):  # degenerate matrices: nlp copes, numpy would warn
        result = analyze(
            inputs.participants,
            inputs.statements,
            inputs.values,
            statement_texts=inputs.texts,
            moderated_out=inputs.hidden,
            previous=previous.result if previous is not None else None,
            **params,
        )
    data = result.to_json_dict()
    voters = set(np.unique(inputs.participants).tolist())
    data["platform"] = {
        "voters": len(voters),
        "authors": len(inputs.authors),
        "participants": len(voters | inputs.authors),
        "statements_visible": len(inputs.texts),
        "statements_hidden": len(inputs.hidden),
    }
    return data


def store_success(
    analysis_id: int,
    data: dict[str, Any],
    inputs: Inputs,
    requested: dict[str, Any] | None,
    params: dict[str, Any],
    previous: Previous | None,
    timings: dict[str, float],
) -> None:
    """Write the result, its input watermark and timings on the run's row: SUCCEEDED."""
    analysis = db.session.get(Analysis, analysis_id)
    analysis.result = data
    analysis.parameters = {
        "requested": requested or {},
        "nlp": params,
        "input": fingerprint(inputs),
        "previous_version": previous.version if previous else None,
    }
    analysis.last_vote_id = inputs.last_vote_id
    analysis.last_vote_at = inputs.last_vote_at
    analysis.vote_events = inputs.vote_events
    analysis.vote_count = inputs.vote_count
    analysis.timings = {
        **timings,
        **{f"nlp_{k}": v for k, v in data.get("timings", {}).items()},
    }
    transition(analysis, AnalysisStatus.SUCCEEDED)
    db.session.flush()


def store_failure(analysis_id: int, message: str) -> None:
    """Record why the run failed on its own row: FAILED (the last good row is untouched)."""
    analysis = db.session.get(Analysis, analysis_id)
    if analysis is None:  # it failed while being discarded: nothing to record on
        return
    analysis.error = message
    if analysis.status == AnalysisStatus.RUNNING:
        transition(analysis, AnalysisStatus.FAILED)
    db.session.flush()


def fail_abandoned(discussion_id: int, message: str, now: datetime) -> int:
    """Mark the discussion's RUNNING rows FAILED: their worker died (the catch-up decides
    that from the scheduling state). Returns how many."""
    running = list(
        db.session.scalars(
            select(Analysis).where(
                Analysis.discussion_id == discussion_id,
                Analysis.status == AnalysisStatus.RUNNING,
            )
        )
    )
    for row in running:
        row.error = message
        transition(row, AnalysisStatus.FAILED, now)
    db.session.flush()
    return len(running)
