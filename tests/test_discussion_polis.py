"""Pol.is import and export: the real vTaiwan UberX conversation (when ../shared has it)
and a small hand-made export, both round-tripped through the CLI commands."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import func, select

from participate.extensions import db
from participate.models import (
    ContentStatus,
    PolisParticipant,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Statement,
    User,
    Vote,
    VoteHistory,
)
from tests.conftest import polis_dir


def _proposal(app) -> int:
    with app.app_context():
        p = Proposal(title="UberX", kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN)
        db.session.add(p)
        db.session.commit()
        return p.id


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _vote_tuples(path: Path, keep=None) -> list[tuple[str, str, str, str]]:
    return [
        (r["timestamp"], r["comment-id"], r["voter-id"], r["vote"])
        for r in _rows(path)
        if keep is None or r["comment-id"] in keep
    ]


def _write(folder: Path, name: str, header: list[str], rows: list[list[object]]) -> None:
    with (folder / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def test_small_export_round_trips_through_the_cli(app, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    _write(
        src,
        "comments.csv",
        [
            "timestamp",
            "datetime",
            "comment-id",
            "author-id",
            "agrees",
            "disagrees",
            "moderated",
            "comment-body",
        ],
        [
            [1435654100000, "x", 0, 0, 2, 0, 1, "計程車與 UberX 應該遵守相同規範"],
            [1435654200000, "x", 1, 1, 0, 1, 0, "我覺得應該開放,\n但要保險"],
            [1435654300000, "x", 2, 2, 0, 0, -1, "廣告內容"],
        ],
    )
    _write(
        src,
        "votes.csv",
        ["timestamp", "datetime", "comment-id", "voter-id", "vote"],
        [
            [1435654400001, "x", 0, 0, 1],
            [1435654400002, "x", 0, 3, 1],
            [1435654400003, "x", 1, 3, 1],
            [1435654400004, "x", 1, 3, -1],  # changed: the last one counts
            [1435654400005, "x", 2, 0, 0],
        ],
    )
    pid = _proposal(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-polis", str(src), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    assert "3 statements (1 hidden), 4 participants, 5 vote events (4 current votes)" in (
        result.output
    )
    with app.app_context():
        users = db.session.scalars(select(User).order_by(User.display_name)).all()
        assert [u.display_name for u in users] == ["polis-0", "polis-1", "polis-2", "polis-3"]
        assert all(u.email is None and u.password_hash is None for u in users)
        assert db.session.scalar(select(func.count()).select_from(PolisParticipant)) == 4
        s1 = db.session.scalar(select(Statement).where(Statement.polis_id == 1))
        assert (s1.agree_count, s1.disagree_count) == (0, 1)
        assert s1.text == "我覺得應該開放,\n但要保險"
        hidden = db.session.scalar(select(Statement).where(Statement.polis_id == 2))
        assert hidden.status == ContentStatus.HIDDEN
    again = runner.invoke(
        args=["import-polis", str(src), "--proposal", str(pid)], env={"LC_ALL": "en_US.UTF-8"}
    )
    assert again.exit_code == 1 and "already has 3 statements" in again.output

    full = tmp_path / "full"
    result = runner.invoke(args=["export-polis", str(pid), str(full), "--include-hidden"])
    assert result.exit_code == 0, result.output
    assert _vote_tuples(full / "votes.csv") == _vote_tuples(src / "votes.csv")
    comments = {r["comment-id"]: r for r in _rows(full / "comments.csv")}
    assert comments["1"]["comment-body"] == "我覺得應該開放,\n但要保險"
    assert (comments["0"]["agrees"], comments["1"]["disagrees"]) == ("2", "1")
    public = tmp_path / "public"
    runner.invoke(args=["export-polis", str(pid), str(public)])
    assert "2" not in {r["comment-id"] for r in _rows(public / "comments.csv")}
    assert _vote_tuples(public / "votes.csv") == _vote_tuples(src / "votes.csv", keep={"0", "1"})
    matrix = {r["participant"]: r for r in _rows(public / "participants-votes.csv")}
    assert matrix["3"]["1"] == "-1" and matrix["3"]["n-votes"] == "2"


def test_vtaiwan_uberx_import_keeps_every_vote_and_the_sign(app, tmp_path):
    folder = polis_dir("vtaiwan.uberx")
    pid = _proposal(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-polis", str(folder), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    source_votes = _vote_tuples(folder / "votes.csv")
    comments = _rows(folder / "comments.csv")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(VoteHistory)) == len(source_votes)
        assert db.session.scalar(select(func.count()).select_from(Vote)) == len(
            {(v[1], v[2]) for v in source_votes}
        )
        assert db.session.scalar(select(func.count()).select_from(Statement)) == len(comments)
        # Sign check: agree events per comment equal comments.csv "agrees" (agree = +1).
        agree_events = dict(
            db.session.execute(
                select(Statement.polis_id, func.count())
                .join(VoteHistory, VoteHistory.statement_id == Statement.id)
                .where(VoteHistory.value == 1)
                .group_by(Statement.polis_id)
            ).all()
        )
    for c in comments:
        assert agree_events.get(int(c["comment-id"]), 0) == int(c["agrees"])

    out = tmp_path / "out"
    result = runner.invoke(args=["export-polis", str(pid), str(out), "--include-hidden"])
    assert result.exit_code == 0, result.output
    exported = _vote_tuples(out / "votes.csv")
    assert sorted(exported) == sorted(source_votes)
    exported_comments = {r["comment-id"]: r for r in _rows(out / "comments.csv")}
    for c in comments:
        mine = exported_comments[c["comment-id"]]
        assert (mine["agrees"], mine["disagrees"]) == (c["agrees"], c["disagrees"])
        assert mine["comment-body"] == c["comment-body"]
