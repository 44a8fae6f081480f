"""Open-data dumps: contents, encodings, privacy, license, the downloads page, and a
round trip through the Pol.is format (re-import the dump and compare every vote)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from participate.extensions import db
from tests.search_fixtures import Corpus, corpus_fixture  # noqa: F401 - fixture


@pytest.fixture()
def voted(app: Any, corpus: Corpus, make_user: Any, tmp_path: Path) -> dict[str, Any]:
    """Three people vote; then a moderator hides a statement that had votes."""
    from participate.boundary import unit
    from participate.discussion import operations, queries
    from participate.models import ContentStatus, Statement, User

    app.config["OPENDATA_DIR"] = str(tmp_path / "opendata")
    people = [make_user(email=f"voter{i}@example.tw", name=f"投票者{i}") for i in range(3)]
    mod = make_user(role="moderator")
    plan = {
        0: {"S1": 1, "S2": -1, "S7": 0},
        1: {"S1": 1, "S2": 1},
        2: {"S1": -1, "S7": 1},
    }
    with app.app_context(), unit():
        for i, votes in plan.items():
            user = db.session.get(User, people[i].id)
            for name, value in votes.items():
                operations.vote(user, queries.load_statement(corpus.ids[name]), value)
        # A vote on S4 (P2's discussion), then hide S4: neither may appear in the dumps.
        operations.vote(
            db.session.get(User, people[0].id), queries.load_statement(corpus.ids["S4"]), 1
        )
        operations.set_status(
            db.session.get(User, mod.id),
            db.session.get(Statement, corpus.ids["S4"]),
            ContentStatus.HIDDEN,
            "test",
        )
    return {"people": people, "plan": plan, "dir": tmp_path / "opendata"}


def _build(app: Any) -> dict[str, Any]:
    from participate.opendata.build import build

    with app.app_context():
        return build()


def _read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode(encoding))))


def test_csv_dumps_contents_and_encodings(app, corpus: Corpus, voted):
    manifest = _build(app)
    folder: Path = voted["dir"]
    names = {f["name"] for f in manifest["files"]}
    for stem in ("proposals", "responses", "statements"):
        assert {f"{stem}.csv", f"{stem}-excel.csv"} <= names
        plain = (folder / f"{stem}.csv").read_bytes()
        excel = (folder / f"{stem}-excel.csv").read_bytes()
        assert excel.startswith(b"\xef\xbb\xbf") and not plain.startswith(b"\xef\xbb\xbf")
        assert excel[3:] == plain

    proposals = _read_csv(folder / "proposals.csv")
    assert {int(r["id"]) for r in proposals} == {
        corpus.ids[n] for n in ("P1", "P2", "C3", "P5", "P6")
    }
    p1 = next(r for r in proposals if int(r["id"]) == corpus.ids["P1"])
    assert p1["title"] == "臺北市機車待轉區改善" and "1. 訂定待轉區設計準則" in p1["measures"]

    statements = _read_csv(folder / "statements.csv")
    ids = {int(r["id"]) for r in statements}
    assert corpus.ids["S3"] not in ids and corpus.ids["S4"] not in ids  # hidden
    s1 = next(r for r in statements if int(r["id"]) == corpus.ids["S1"])
    assert (s1["agree"], s1["disagree"], s1["pass"]) == ("2", "1", "0")

    responses = _read_csv(folder / "responses.csv")
    assert [r["overall"] for r in responses] == [
        "教育部將補助學校採購在地食材，並檢討營養午餐標準。"
    ]

    matrix = _read_csv(folder / f"votes/vote-matrix-proposal-{corpus.ids['P1']}.csv")
    header = list(matrix[0].keys())
    assert header[0] == "participant"
    assert str(corpus.ids["S3"]) not in header
    # Participants are numbered 0, 1, 2 in order of first vote.
    by_pid = {r["participant"]: r for r in matrix}
    assert by_pid["0"][str(corpus.ids["S2"])] == "-1"
    assert by_pid["1"][str(corpus.ids["S2"])] == "1"
    assert by_pid["2"][str(corpus.ids["S2"])] == ""
    assert by_pid["2"][str(corpus.ids["S7"])] == "1"
    # P2's only voted statement is hidden: no matrix row leaks it.
    p2 = folder / f"votes/vote-matrix-proposal-{corpus.ids['P2']}.csv"
    assert str(corpus.ids["S4"]) not in p2.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert manifest["license"]["name"].startswith("Open Government Data License")
    assert "Open Government Data License" in (folder / "LICENSE.txt").read_text(encoding="utf-8")


def test_no_personal_data_and_no_hidden_text_anywhere(app, corpus: Corpus, voted):
    _build(app)
    blobs: list[str] = []
    for path in voted["dir"].rglob("*"):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as zf:
                blobs += [zf.read(n).decode("utf-8") for n in zf.namelist()]
        elif path.is_file():
            blobs.append(path.read_bytes().decode("utf-8-sig"))
    text = "\n".join(blobs)
    assert "@example.tw" not in text and "投票者" not in text
    assert "待轉區廣告 spam" not in text  # hidden statement S3
    assert "長照人員的薪資太低" not in text  # hidden after votes (S4)
    assert "審查中的提案" not in text  # proposal still in review


def test_polis_dump_reimports_with_the_same_votes(app, corpus: Corpus, voted, tmp_path):
    """The validation the issue asks for: read the Pol.is-format dump back in and compare."""
    from participate.discussion.polis import import_polis
    from participate.models import (
        Discussion,
        PolisParticipant,
        Proposal,
        ProposalStatus,
        Statement,
        Vote,
    )

    _build(app)
    zip_path = voted["dir"] / f"polis/proposal-{corpus.ids['P1']}.zip"
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(tmp_path / "polis")
        assert f"proposal-{corpus.ids['P1']}/comments.csv" in zf.namelist()
        assert f"proposal-{corpus.ids['P1']}/LICENSE.txt" in zf.namelist()
    folder = tmp_path / "polis" / f"proposal-{corpus.ids['P1']}"

    with app.app_context():
        target = Proposal(title="重新匯入測試", status=ProposalStatus.ENDORSING)
        db.session.add(target)
        db.session.commit()
        import_polis(folder, target)
        db.session.commit()

        def votes_by_text(proposal_id: int, pid_of: Any) -> dict[tuple[int, str], int]:
            d = db.session.scalar(select_discussion(proposal_id))
            rows = db.session.execute(
                db.select(Vote.participant_id, Statement.text, Vote.value)
                .join(Statement, Statement.id == Vote.statement_id)
                .where(Vote.discussion_id == d.id)
            ).all()
            return {(pid_of(d.id, uid), text): value for uid, text, value in rows}

        def select_discussion(proposal_id: int) -> Any:
            return db.select(Discussion).where(Discussion.proposal_id == proposal_id)

        from participate.opendata.build import participant_numbers

        original_numbers = participant_numbers(
            db.session.scalar(select_discussion(corpus.ids["P1"])).id
        )
        imported = dict(
            db.session.execute(
                db.select(PolisParticipant.user_id, PolisParticipant.polis_pid)
            ).all()
        )
        original = votes_by_text(corpus.ids["P1"], lambda _d, uid: original_numbers[uid])
        again = votes_by_text(target.id, lambda _d, uid: imported[uid])
        assert again == original
        assert len(original) == 7
        # And the imported discussion is now marked as Pol.is data with its attribution.
    manifest = _build(app)
    assert {"proposal_id": target.id, "license": "CC BY 4.0"} in manifest["imported_from_polis"]
    with zipfile.ZipFile(voted["dir"] / f"polis/proposal-{target.id}.zip") as zf:
        attribution = zf.read(f"proposal-{target.id}/ATTRIBUTION.txt").decode("utf-8")
    assert "CC BY 4.0" in attribution


def test_downloads_page_lists_files_with_license(app, client, corpus: Corpus, voted):
    html = client.get("/opendata/").get_data(as_text=True)
    assert "opendata/proposals.csv" not in html  # nothing built yet
    _build(app)
    resp = client.get("/opendata/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'href="/opendata/proposals-excel.csv"' in html
    assert f'href="/opendata/polis/proposal-{corpus.ids["P1"]}.zip"' in html
    assert 'rel="license"' in html and "CC BY 4.0" in html

    resp = client.get("/opendata/proposals-excel.csv")
    assert resp.status_code == 200 and resp.data.startswith(b"\xef\xbb\xbf")
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    resp.close()
    listed = client.get("/opendata/manifest.json")
    manifest = json.loads(listed.data)
    listed.close()
    assert manifest["files"]
    assert client.get("/opendata/../config.py").status_code == 404
    assert client.get("/opendata/nothing.csv").status_code == 404


def test_nightly_task_and_command_build_the_dumps(app, corpus: Corpus, voted):
    from participate.api.tasks import build_open_data

    with app.app_context():
        build_open_data()  # Huey runs it at once in tests, in this app's context
    assert (voted["dir"] / "manifest.json").is_file()
    result = app.test_cli_runner().invoke(args=["opendata-build"])
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.output
