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
import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Table, UniqueConstraint, insert
from sqlalchemy.schema import AddConstraint, CreateIndex, DropConstraint, DropIndex

from nlp.polis_io import (
    MAX_ID,
    MAX_TIMESTAMP,
    VOTE_COLUMNS,
    Comment,
    PolisFormatError,
    PolisRecords,
    check_encoding,
    read_comments,
    read_records,
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


def _rectangular(path: Path, fields: int) -> bool:
    """Every line of a file without quotes has ``fields`` fields (its commas counted): no
    short row, no long row, no blank line. One ``bytes.count`` per line (33,000 lines of
    participants-votes.csv at 2M votes: a few tens of milliseconds, no copy of the file)."""
    with open(path, "rb") as fh:
        return all(b'"' not in line and line.count(b",") == fields - 1 for line in fh)


def _int_columns(
    path: Path, names: tuple[str, ...], empty_cells: bool = False
) -> dict[str, np.ndarray] | None:
    """The named columns of a UTF-8 CSV file as int64 arrays, or None when polars cannot
    read every row as the row reader would accept it (a byte-order mark, a doubled or
    missing column, a cell that is not a plain whole number, an empty cell, a ragged row).
    ``empty_cells``: the other columns may have empty cells (participants-votes.csv); the
    file must then have no quotes and every line its fields, counted on the bytes."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
        if any(first.startswith(bom) for bom in _BOMS):
            return None
        # The header as the row reader splits it (polars renames a doubled column).
        header = [h.strip() for h in next(csv.reader([first.decode("utf-8")]), [])]
        if len(set(header)) != len(header) or not set(names) <= set(header):
            return None
        if empty_cells and not _rectangular(path, len(header)):
            return None
        # Every column is read (no projection), the others as strings (cheap for votes.csv's
        # one text column): only then are ragged rows refused. The wide file's rows were
        # counted above, so only its named columns are read.
        df = pl.read_csv(
            path,
            schema_overrides={c: pl.Int64 for c in names},
            infer_schema=False,
            columns=list(names) if empty_cells else None,
        )
    except (pl.exceptions.PolarsError, OSError, ValueError, csv.Error):
        return None
    if any(df[c].null_count() for c in (names if empty_cells else df.columns)):
        return None  # empty cells, short or blank rows
    return {c: df[c].to_numpy() for c in names}


def _member(values: np.ndarray, allowed: np.ndarray) -> bool:
    """Every value is one of ``allowed``."""
    allowed = np.unique(allowed)
    pos = np.searchsorted(allowed, values)
    pos[pos == allowed.size] = 0
    return bool(allowed.size and (allowed[pos] == values).all())


def _read_fast(folder: Path, encoding: str) -> ExportArrays | None:
    try:
        if check_encoding(encoding) != "utf-8" or not (folder / "votes.csv").is_file():
            return None
    except LookupError:
        return None
    found = _comments(folder, encoding)
    if found is None:
        return None
    comments_file, comments = found
    known = np.fromiter((c.id for c in comments), np.int64, len(comments))
    participants = None
    if (folder / "participants-votes.csv").is_file():
        cols = _int_columns(folder / "participants-votes.csv", ("participant",), True)
        if cols is None:
            return None
        participants = cols["participant"]
        if (
            participants.size == 0
            or participants.min() < 0
            or participants.max() > MAX_ID
            or np.unique(participants).size != participants.size
        ):
            return None
        authors = np.fromiter((c.author for c in comments if c.author is not None), np.int64)
        if authors.size and not _member(authors, participants):
            return None
    votes = _int_columns(folder / "votes.csv", VOTE_COLUMNS)
    if votes is None or votes["vote"].size == 0:
        return None
    ts, cid, pid, val = (votes[c] for c in VOTE_COLUMNS)
    if (
        ts.min() < 0
        or ts.max() > MAX_TIMESTAMP
        or cid.min() < 0
        or cid.max() > MAX_ID
        or pid.min() < 0
        or pid.max() > MAX_ID
        or val.min() < -1
        or val.max() > 1
        or not _member(cid, known)
        or (participants is not None and not _member(pid, participants))
    ):
        return None
    return ExportArrays(comments_file, comments, ts, cid, pid, val)


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


def write_rows(table: Table, columns: dict[str, Any], timestamps: tuple[str, ...] = ()) -> None:
    """Insert one row per array element into ``table`` inside the session's transaction.

    ``columns``: column name -> int array (or a scalar for every row); the columns named in
    ``timestamps`` hold UTC milliseconds since the epoch and are stored as the column's
    ``DateTime(timezone=True)`` values."""
    n = max((len(v) for v in columns.values() if isinstance(v, np.ndarray)), default=0)
    if not n:
        return
    df = pl.DataFrame(
        {
            name: (
                _timestamps(v)
                if name in timestamps
                else pl.Series(v)
                if isinstance(v, np.ndarray)
                else pl.repeat(v, n, eager=True)
            )
            for name, v in columns.items()
        }
    )
    conn = db.session.connection()
    dialect = conn.dialect
    names = list(columns)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw = conn.connection.dbapi_connection
        sql = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for start in range(0, n, BATCH * 4):
                buf = io.BytesIO()
                df.slice(start, BATCH * 4).write_csv(
                    buf, include_header=False, datetime_format="%Y-%m-%d %H:%M:%S%.3f+00"
                )
                copy.write(buf.getvalue())
        return
    # SQLite (and any other driver): the Core INSERT, executemany in large batches, the
    # timestamps formatted as SQLAlchemy's SQLite DateTime stores them.
    df = df.with_columns(pl.col(name).dt.strftime("%Y-%m-%d %H:%M:%S%.6f") for name in timestamps)
    stmt = str(insert(table).compile(dialect=dialect, column_keys=names))
    for start in range(0, n, BATCH):
        conn.exec_driver_sql(stmt, df.slice(start, BATCH).rows())


__all__ = ["ExportArrays", "read_export", "bulk_load", "write_rows"]
