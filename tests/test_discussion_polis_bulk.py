"""The bulk Pol.is import (issue 15): the array reader agrees with the row reader, the rows
written in bulk read back through the ORM as the import meant them (times, current votes,
tallies), and ``--exclusive`` leaves the vote tables' foreign keys in place."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import func, inspect, select

from nlp.polis_io import read_records
from participate.discussion import polis_bulk
from participate.extensions import db
from participate.models import Statement, Vote, VoteHistory
from participate.timeutil import aware
from tests.conftest import polis_dir
from tests.test_discussion_polis import _proposal, _write

COMMENT_HEADER = [
    "timestamp",
    "datetime",
    "comment-id",
    "author-id",
    "agrees",
    "disagrees",
    "moderated",
    "comment-body",
]
VOTE_HEADER = ["timestamp", "datetime", "comment-id", "voter-id", "vote"]


def _small_export(folder: Path) -> Path:
    folder.mkdir()
    _write(
        folder,
        "comments.csv",
        COMMENT_HEADER,
        [
            [1435654100000, "x", 0, 0, 1, 0, 1, "計程車與 UberX 應該遵守相同規範"],
            [1435654200000, "x", 1, 1, 0, 1, 0, "我覺得應該開放"],
        ],
    )
    _write(
        folder,
        "votes.csv",
        VOTE_HEADER,
        [
            [1435654400003, "x", 1, 3, 1],
            [1435654400001, "x", 0, 0, 1],
            [1435654400004, "x", 1, 3, -1],  # changed: the last one counts
            [1435654400002, "x", 0, 3, 0],
        ],
    )
    return folder


def _same(a: polis_bulk.ExportArrays, b: polis_bulk.ExportArrays) -> None:
    assert a.comments == b.comments
    for name in ("timestamp", "comment", "voter", "value"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_the_array_reader_reads_what_the_row_reader_reads(tmp_path):
    folder = polis_dir("vtaiwan.uberx")
    fast = polis_bulk._read_fast(folder, "utf-8")
    assert fast is not None  # a real export takes the fast path
    _same(fast, polis_bulk._from_records(read_records(folder, "utf-8")))

    # A cell the array reader does not take ("7.0"): the row reader reads the export.
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    votes = (copy / "votes.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    head = votes[1].split(",")
    head[-1] = head[-1].strip() + ".0\n"
    votes[1] = ",".join(head)
    (copy / "votes.csv").write_text("".join(votes), encoding="utf-8")
    assert polis_bulk._read_fast(copy, "utf-8") is None
    _same(polis_bulk.read_export(copy, "utf-8"), fast)

    # participants-votes.csv with a short row: refused by the fast check too.
    wide = (copy / "participants-votes.csv").read_text(encoding="utf-8").splitlines()
    wide[2] = wide[2].rsplit(",", 1)[0]
    (copy / "participants-votes.csv").write_text("\n".join(wide) + "\n", encoding="utf-8")
    assert polis_bulk._read_fast(copy, "utf-8") is None


def test_bulk_rows_read_back_as_the_import_meant_them(app, tmp_path):
    src = _small_export(tmp_path / "src")
    pid = _proposal(app)
    result = app.test_cli_runner().invoke(args=["import-polis", str(src), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    assert "4 vote events (3 current votes)" in result.output

    def at(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    with app.app_context():
        history = db.session.execute(
            select(Statement.polis_id, VoteHistory.value, VoteHistory.created_at)
            .join(Statement, Statement.id == VoteHistory.statement_id)
            .order_by(VoteHistory.id)
        ).all()
        # In time order, whatever the file order.
        assert [(c, v, aware(t)) for c, v, t in history] == [
            (0, 1, at(1435654400001)),
            (0, 0, at(1435654400002)),
            (1, 1, at(1435654400003)),
            (1, -1, at(1435654400004)),
        ]
        votes = db.session.execute(
            select(Statement.polis_id, Vote.value, Vote.created_at, Vote.updated_at)
            .join(Statement, Statement.id == Vote.statement_id)
            .order_by(Vote.id)
        ).all()
        assert [(c, v, aware(a), aware(u)) for c, v, a, u in votes] == [
            (0, 1, at(1435654400001), at(1435654400001)),
            (0, 0, at(1435654400002), at(1435654400002)),
            (1, -1, at(1435654400003), at(1435654400004)),
        ]
        tallies = db.session.execute(
            select(
                Statement.polis_id,
                Statement.agree_count,
                Statement.disagree_count,
                Statement.pass_count,
            ).order_by(Statement.polis_id)
        ).all()
        assert [tuple(t) for t in tallies] == [(0, 1, 0, 1), (1, 0, 1, 0)]


def _schema() -> dict[str, dict[str, list[str]]]:
    found = inspect(db.engine)
    return {
        t: {
            "keys": sorted(str(fk["name"]) for fk in found.get_foreign_keys(t)),
            "unique": sorted(str(c["name"]) for c in found.get_unique_constraints(t)),
            "indexes": sorted(
                str(i["name"]) for i in found.get_indexes(t) if not i.get("duplicates_constraint")
            ),
        }
        for t in ("vote", "vote_history")
    }


def test_exclusive_import_keeps_keys_and_indexes(app, tmp_path):
    src = _small_export(tmp_path / "src")
    pid = _proposal(app)
    with app.app_context():
        before = _schema()
    result = app.test_cli_runner().invoke(
        args=["import-polis", str(src), "--proposal", str(pid), "--exclusive"]
    )
    assert result.exit_code == 0, result.output
    assert "4 vote events (3 current votes)" in result.output
    with app.app_context():
        db.session.remove()
        after = _schema()
        assert after == before and len(after["vote"]["keys"]) == 3
        assert after["vote"]["unique"] == ["uq_vote_participant_statement"]
        assert len(after["vote_history"]["indexes"]) == 3


def test_imported_statements_are_found_by_search_once(app, client, tmp_path):
    """The import indexes its statements in bulk after the commit: a reader's search finds
    them, under the consultation's title, and importing the export again into another
    consultation adds that one's rows without duplicating the first's."""
    from participate import search as engine
    from participate.extensions import db as _db
    from participate.models import SearchDocument

    src = _small_export(tmp_path / "src")
    pid = _proposal(app)
    result = app.test_cli_runner().invoke(args=["import-polis", str(src), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    page = client.get("/search?q=計程車").get_data(as_text=True)
    assert "<mark>計程車</mark>與 UberX 應該遵守相同規範" in page
    with app.app_context():
        hits = engine.search("計程車").hits
        assert [(h.kind, h.proposal_id) for h in hits] == [("statement", pid)]
        statements = _db.session.scalar(
            select(func.count())
            .select_from(SearchDocument)
            .where(SearchDocument.kind == "statement")
        )
        assert statements == 2

    other = _proposal(app)
    again = app.test_cli_runner().invoke(args=["import-polis", str(src), "--proposal", str(other)])
    assert again.exit_code == 0, again.output
    with app.app_context():
        hits = engine.search("計程車").hits
        assert sorted(h.proposal_id for h in hits) == sorted([pid, other])
        rows = _db.session.execute(
            select(SearchDocument.item_id, func.count())
            .where(SearchDocument.kind == "statement")
            .group_by(SearchDocument.item_id)
        ).all()
        assert len(rows) == 4 and all(n == 1 for _, n in rows)
