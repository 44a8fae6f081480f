"""Reading a Pol.is export as arrays and writing its rows in bulk, for
:func:`participate.discussion.polis.import_polis` at Pol.is's largest shape (33,000
participants, 2,000,000 vote events).

Reading: :func:`read_export` checks the vote files as whole arrays (polars) against the
rules :func:`nlp.polis_io.read_records` applies row by row; anything the fast check does not
accept (another encoding, a byte-order mark, a cell that is not a plain whole number, an
empty cell, a ragged row, a value out of range, an unknown comment or participant) is read
again by ``read_records``, which either names the first problem (file, row, column) or
accepts the file; either way the import sees the same events.

Writing: :func:`write_rows` sends columns to one table without an ORM object, or even a
Python tuple, per row on PostgreSQL (``COPY ... FROM STDIN`` fed by polars' CSV writer), and
as large ``executemany`` batches of the table's Core ``INSERT`` elsewhere (SQLite).
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, Table, UniqueConstraint, insert
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from nlp.polis_io import (
    Comment,
    PolisFormatError,
    PolisRecords,
    read_comments,
    read_records,
    vote_arrays,
)
from participate.extensions import db

BATCH = 50_000  # rows per COPY chunk or executemany batch
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


@dataclass(frozen=True)
class ExportArrays:
    """An export read and checked: comments (file order) and one row per vote event in file
    order (``timestamp`` ms, ``comment`` and ``voter`` Pol.is ids, ``value``: int64)."""

    comments_file: Path
    comments: list[Comment]
    timestamp: np.ndarray
    comment: np.ndarray
    voter: np.ndarray
    value: np.ndarray


def read_export(folder: Path, encoding: str) -> ExportArrays:
    """The export's comments and vote events; raises
    :class:`nlp.polis_io.PolisFormatError` at the first problem (as ``read_records``)."""
    fast = _read_fast(folder, encoding)
    if fast is not None:
        return fast
    return _from_records(read_records(folder, encoding))


def _from_records(rec: PolisRecords) -> ExportArrays:
    n = len(rec.votes)
    cols = [np.fromiter((getattr(v, a) for v in rec.votes), np.int64, n) for a in (
        "timestamp", "comment", "voter", "value")]  # fmt: skip
    return ExportArrays(rec.comments_file, rec.comments, *cols)


# --- the fast check ---------------------------------------------------------------------------


def _comments(folder: Path, encoding: str) -> tuple[Path, list[Comment]] | None:
    """comments.csv (small) read as ``read_records`` reads it; None when a rule of the
    slow reader applies (it then reports the problem, with its row and column)."""
    try:
        return read_comments(folder, encoding)
    except PolisFormatError:
        return None


def _read_fast(folder: Path, encoding: str) -> ExportArrays | None:
    found = _comments(folder, encoding)
    if found is None:
        return None
    comments_file, comments = found
    arrays = vote_arrays(folder, encoding, comments)  # the row reader's rules, as arrays
    if arrays is None:
        return None
    return ExportArrays(comments_file, comments, *arrays)


# --- bulk writes ------------------------------------------------------------------------------


def _timestamps(ms: np.ndarray) -> pl.Series:
    return pl.Series(ms, dtype=pl.Int64).cast(pl.Datetime("ms"))


@contextmanager
def bulk_load(tables: list[Table]) -> Iterator[None]:
    """On PostgreSQL: drop the tables' foreign keys, unique constraints and secondary
    indexes, and add them back when the block ends (each index built by one sort, each key
    checked over the whole table in one pass), all inside the transaction. A bulk load then
    skips the per-row key checks and index insertions (most of the database's work for 2M
    votes), but the tables and the ones they refer to (accounts, statements, discussions)
    are locked until the commit: every page that reads them waits. Elsewhere: nothing."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        yield
        return
    keys = [fk for table in tables for fk in sorted(table.foreign_key_constraints, key=str)]
    unique = [
        c
        for table in tables
        for c in sorted(table.constraints, key=lambda c: str(c.name))
        if isinstance(c, UniqueConstraint)
    ]
    indexes = [ix for table in tables for ix in sorted(table.indexes, key=lambda i: str(i.name))]
    for fk in keys:
        conn.execute(DropConstraint(fk))
    for c in unique:
        conn.execute(DropConstraint(c))
    for ix in indexes:
        conn.execute(DropIndex(ix))
    yield
    for ix in indexes:
        conn.execute(CreateIndex(ix))
    for c in unique:
        conn.execute(AddConstraint(c))
    for fk in keys:
        conn.execute(AddConstraint(fk))


def refresh_statistics(tables: list[Table]) -> None:
    """PostgreSQL: ANALYZE the tables a bulk load just filled, inside its transaction.

    Why: until autovacuum comes round, the planner still believes the tables hold what they
    held before (a few rows), and reads a 2M-row discussion through a bitmap index scan:
    the analysis run after an import read its votes in 0.87 s where a sequential scan takes
    0.60 s. ANALYZE samples 30,000 rows a table (about 0.1 s). SQLite's planner keeps no
    statistics unless asked, and its ANALYZE would scan every index: nothing there."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return
    names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
    conn.exec_driver_sql(f"ANALYZE {names}")


class KeyCheckError(RuntimeError):
    """A bulk write referred to a row that does not exist (the set-based check of
    :func:`keys_checked_once` found what a per-row foreign-key check would have refused)."""


# The tables whose row triggers are off in the open keys_checked_once block (this thread's).
_SET_BASED: ContextVar[frozenset[str]] = ContextVar("polis_bulk_set_based", default=frozenset())


def _may_skip_row_triggers(conn: Connection, tables: list[Table]) -> bool:
    """PostgreSQL, a role allowed to set ``session_replication_role`` (a superuser, or from
    PostgreSQL 15 one granted ``SET ON PARAMETER session_replication_role``), and no trigger
    on the tables other than the foreign keys' own (replica mode would skip it silently)."""
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    allowed = conn.exec_driver_sql(
        "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
    ).scalar()
    if not allowed and conn.dialect.server_version_info >= (15,):
        allowed = conn.exec_driver_sql(
            "SELECT has_parameter_privilege('session_replication_role', 'SET')"
        ).scalar()
    if not allowed:
        return False
    others = conn.exec_driver_sql(
        "SELECT count(*) FROM pg_trigger "
        "WHERE NOT tgisinternal AND tgrelid = ANY(%(t)s::regclass[])",
        {"t": [t.name for t in tables]},
    ).scalar()
    return not others


@contextmanager
def keys_checked_once(tables: list[Table]) -> Iterator[bool]:
    """Inside the block, on PostgreSQL when the role may (:func:`_may_skip_row_triggers`):
    :func:`write_rows` into ``tables`` checks their foreign keys once per distinct value
    instead of once per row. The per-row checks are PostgreSQL's internal triggers, one
    query each: 11.6 million of them for 2,000,000 vote events, most of the import's time.

    How: ``SET LOCAL session_replication_role = replica`` (this transaction only, only for
    the block) turns the row triggers off; after each COPY, every distinct value of each
    foreign-key column is looked up in the referenced table ``FOR KEY SHARE``, as the
    per-row check does (so the referenced row cannot be deleted before the commit), and a
    missing one raises :class:`KeyCheckError`, which rolls the whole import back. Nothing
    is locked beyond what the per-row checks lock; durability is untouched (every row is
    written to the WAL as usual). Yields whether the checks are set-based; elsewhere (or
    without the privilege) nothing changes and the database checks every row."""
    conn = db.session.connection()
    if not _may_skip_row_triggers(conn, tables):
        yield False
        return
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    token = _SET_BASED.set(frozenset(t.name for t in tables))
    try:
        yield True
    finally:
        _SET_BASED.reset(token)
    # Not in ``finally``: after an error the transaction is rolled back, and the setting
    # with it.
    conn.exec_driver_sql("SET LOCAL session_replication_role = DEFAULT")


def _check_keys(conn: Connection, table: Table, columns: dict[str, Any]) -> None:
    """Every distinct value written in a foreign-key column exists in the table it refers
    to; each such row is locked ``FOR KEY SHARE`` until the commit (the per-row check's
    lock, once per row instead of once per reference)."""
    raw = conn.connection.dbapi_connection
    for fk in sorted(table.foreign_key_constraints, key=str):
        if len(fk.columns) != 1:
            raise KeyCheckError(f"{fk}: only single-column keys are checked in bulk")
        name = fk.column_keys[0]
        element = fk.elements[0]
        values = columns.get(name)
        if values is None:
            continue
        distinct = np.unique(values).tolist() if isinstance(values, np.ndarray) else [values]
        ref = element.column
        with raw.cursor() as cur:
            cur.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {ref.table.name} "
                f"WHERE {ref.name} = ANY(%s) FOR KEY SHARE) AS found",
                (distinct,),
            )
            found = cur.fetchone()[0]
        if found != len(distinct):
            raise KeyCheckError(
                f"{table.name}.{name}: {len(distinct) - found} of {len(distinct)} values "
                f"are not in {ref.table.name}.{ref.name}"
            )


# --- binary COPY ------------------------------------------------------------------------------

_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # signature, flags, no extension
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 UTC, where binary timestamps count from
_BINARY_TYPES = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8", "boolean": "u1"}
_TIMESTAMPTZ = "timestamp with time zone"


def _binary_layout(
    raw: Any, table: Table, columns: dict[str, Any], timestamps: tuple[str, ...]
) -> list[tuple[str, str | None]] | None:
    """Each column's big-endian numpy type in PostgreSQL's binary COPY format (None for a
    NULL in every row), or None when a column is text or of a type not handled here (then
    CSV). Binary rows are built by numpy in one pass and parsed by the server without text
    conversion: the timestamps' text parsing alone was a large part of the server's work."""
    with raw.cursor() as cur:
        cur.execute(
            "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            (table.name,),
        )
        types = dict(cur.fetchall())
    layout: list[tuple[str, str | None]] = []
    for name, v in columns.items():
        kind = types.get(name)
        if v is None:
            layout.append((name, None))
        elif name in timestamps and kind == _TIMESTAMPTZ:
            layout.append((name, "timestamp"))
        elif kind in _BINARY_TYPES and name not in timestamps and not isinstance(v, list | str):
            layout.append((name, _BINARY_TYPES[kind]))
        else:
            return None
    return layout


def _binary_rows(
    layout: list[tuple[str, str | None]], columns: dict[str, Any], start: int, stop: int
) -> bytes:
    """Rows ``start:stop`` as binary COPY tuples: a field count, then each field's length
    (-1 for NULL) and big-endian value."""
    fields: list[tuple[str, str]] = [("count", ">i2")]
    for i, (_name, kind) in enumerate(layout):
        fields.append((f"len{i}", ">i4"))
        if kind is not None:
            fields.append((f"val{i}", ">i8" if kind == "timestamp" else kind))
    rows = np.empty(stop - start, dtype=np.dtype(fields))
    rows["count"] = len(layout)
    for i, (name, kind) in enumerate(layout):
        if kind is None:
            rows[f"len{i}"] = -1
            continue
        v = columns[name]
        v = v[start:stop] if isinstance(v, np.ndarray) else v
        if kind == "timestamp":  # ms since 1970 -> microseconds since 2000
            kind, v = ">i8", np.asarray(v, dtype=np.int64) * 1000 - _PG_EPOCH_US
        rows[f"len{i}"] = np.dtype(kind).itemsize
        rows[f"val{i}"] = v
    return rows.tobytes()


def _column(v: Any, n: int, timestamp: bool) -> pl.Series:
    if isinstance(v, np.ndarray):
        return _timestamps(v) if timestamp else pl.Series(v)
    if isinstance(v, list):
        return pl.Series(v)
    if timestamp:
        return _timestamps(np.full(n, v, dtype=np.int64))
    return pl.repeat(v, n, eager=True)


def _frame(columns: dict[str, Any], n: int, timestamps: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame({name: _column(v, n, name in timestamps) for name, v in columns.items()})


def write_rows(table: Table, columns: dict[str, Any], timestamps: tuple[str, ...] = ()) -> None:
    """Insert one row per array element into ``table`` inside the session's transaction.

    ``columns``: column name -> array (numpy, or a list of strings) or a scalar for every
    row (None for NULL); the columns named in ``timestamps`` hold UTC milliseconds since
    the epoch and are stored as the column's ``DateTime(timezone=True)`` values. A column
    with a Python-side default must be given (COPY does not apply them)."""
    missing = [
        c.name
        for c in table.columns
        if c.default is not None and c.name not in columns and not c.primary_key
    ]
    if missing:
        raise ValueError(f"write_rows({table.name}): give {missing} (COPY skips their defaults)")
    n = max((len(v) for v in columns.values() if isinstance(v, np.ndarray | list)), default=0)
    if not n:
        return
    conn = db.session.connection()
    dialect = conn.dialect
    names = list(columns)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = conn.connection.dbapi_connection
        layout = _binary_layout(raw, table, columns, timestamps)
        fmt = "binary" if layout is not None else "csv"
        df = _frame(columns, n, timestamps) if layout is None else None
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT {fmt})"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            if layout is not None:
                copy.write(_BINARY_HEADER)
            for start in range(0, n, BATCH * 4):
                stop = min(n, start + BATCH * 4)
                if layout is not None:
                    copy.write(_binary_rows(layout, columns, start, stop))
                    continue
                buf = io.BytesIO()
                df.slice(start, stop - start).write_csv(
                    buf, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.3f+00"
                )
                copy.write(buf.getvalue())
            if layout is not None:
                copy.write(b"\xff\xff")  # end of data
        if table.name in _SET_BASED.get():
            _check_keys(conn, table, columns)
        return
    # SQLite (and any other driver): the Core INSERT, executemany in large batches, the
    # timestamps formatted as SQLAlchemy's SQLite DateTime stores them.
    df = _frame(columns, n, timestamps).with_columns(
        pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S%.6f") for name in timestamps
    )
    stmt = str(insert(table).compile(dialect=dialect, column_keys=names))
    for start in range(0, n, BATCH):
        conn.exec_driver_sql(stmt, df.slice(start, BATCH).rows())


def reserve_ids(table: Table, n: int) -> np.ndarray | None:
    """PostgreSQL: ``n`` new ids from the table's id sequence (in increasing order), so
    rows can be written by COPY with their ids known, without an ``INSERT ... RETURNING``
    round of 33,000 rows. Elsewhere: None (insert with RETURNING)."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        return None
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        cur.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            (table.name, n),
        )
        ids = np.fromiter((r[0] for r in cur), dtype=np.int64, count=n)
    return np.sort(ids)


__all__ = [
    "ExportArrays",
    "KeyCheckError",
    "bulk_load",
    "keys_checked_once",
    "refresh_statistics",
    "read_export",
    "reserve_ids",
    "write_rows",
]
