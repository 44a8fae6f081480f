"""Vote counters without a hot row: on PostgreSQL a vote moves its voter's tally row and a
job folds the tallies into the statement's counters; what people are shown is the live
figure either way, and the stored counters end exact. On SQLite the vote moves the
statement's counters directly and the tally table stays empty."""
# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from participate.boundary import unit
from participate.discussion import operations, tallies
from participate.extensions import db
from participate.models import Statement, StatementTally, User, Vote
from tests.discussion_fixtures import add_statements, make_discussion  # noqa: F401

JSON = {"Accept": "application/json"}


def _postgresql(app: Any) -> bool:
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")


def _stored(sid: int) -> tuple[int, int, int]:
    s = db.session.execute(
        select(Statement.agree_count, Statement.disagree_count, Statement.pass_count).where(
            Statement.id == sid
        )
    ).one()
    return tuple(s)  # type: ignore[return-value]


def _from_votes(sid: int) -> tuple[int, int, int]:
    counts = dict(
        db.session.execute(
            select(Vote.value, func.count()).where(Vote.statement_id == sid).group_by(Vote.value)
        ).all()
    )
    return counts.get(1, 0), counts.get(-1, 0), counts.get(0, 0)


def _vote(app: Any, user_id: int, sid: int, value: int) -> operations.VoteResult:
    """A vote committed without its outbox (so no fold runs after it)."""
    with app.app_context():
        result = operations.vote(
            db.session.get(User, user_id), db.session.get(Statement, sid), value
        )
        db.session.commit()
        db.session.remove()
        return result


def test_votes_show_live_before_the_fold_and_end_exact_after_it(
    app, client, make_user, make_discussion
):
    pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["公車應該延長夜間班次"])
    people = [make_user() for _ in range(5)]
    for person, value in zip(people, (1, 1, -1, 0, 1), strict=True):
        result = _vote(app, person.id, sid, value)
    assert (result.agree, result.disagree, result.passes) == (3, 1, 1)  # live, in the answer
    result = _vote(app, people[0].id, sid, -1)  # a change: agree -> disagree
    assert (result.agree, result.disagree, result.passes) == (2, 2, 1)

    with app.app_context():
        tally_rows = db.session.execute(
            select(StatementTally.shard, StatementTally.agree_count).where(
                StatementTally.statement_id == sid
            )
        ).all()
        if _postgresql(app):
            # not folded yet: the statement's row was never written by a vote
            assert _stored(sid) == (0, 0, 0)
            assert {shard for shard, _a in tally_rows} == {p.id % tallies.SHARDS for p in people}
            # the changed vote's row went back to zero agreements (its voter's only vote)
            assert dict(tally_rows)[people[0].id % tallies.SHARDS] == 0
        else:
            assert tally_rows == [] and _stored(sid) == (2, 2, 1)

    # what people read is live: the API's list and the thread page
    listed = client.get(f"/api/v1/proposals/{pid}/statements").get_json()["items"]
    assert [(x["agree"], x["disagree"], x["pass"], x["votes"]) for x in listed] == [(2, 2, 1, 5)]
    page = client.get(f"/discussion/statements/{sid}").get_data(as_text=True)
    assert 'data-count="agree">2<' in page and 'data-count="disagree">2<' in page

    with app.app_context(), unit():
        tallies.fold_all.call_local()
    with app.app_context():
        assert _stored(sid) == _from_votes(sid) == (2, 2, 1)
        assert db.session.scalar(select(func.count()).select_from(StatementTally)) == 0
        db.session.remove()
    # folded, the figures read the same
    listed = client.get(f"/api/v1/proposals/{pid}/statements").get_json()["items"]
    assert [(x["agree"], x["disagree"], x["pass"]) for x in listed] == [(2, 2, 1)]


def test_a_site_vote_folds_after_its_commit(app, client, make_user, login, make_discussion):
    """Through the site the fold is the vote's after-commit effect (the tests' queue runs
    it at once): the stored counters are exact when the request is done."""
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["人行道應該淨空"])
    login(client, make_user())
    r = client.post(f"/discussion/statements/{sid}/vote", data={"value": "pass"}, headers=JSON)
    assert r.status_code == 200 and r.get_json()["counts"] == {"agree": 0, "disagree": 0, "pass": 1}
    with app.app_context():
        assert _stored(sid) == (0, 0, 1)
        assert db.session.scalar(select(func.count()).select_from(StatementTally)) == 0


def test_folds_running_beside_votes_lose_and_double_nothing(app, make_user, make_discussion):
    """Votes (and changes) from many threads while two others fold over and over: no
    deadlock, no error, and afterwards every statement's counters are its votes."""
    _pid, did = make_discussion()
    sids = add_statements(app, did, [f"意見 {i}" for i in range(3)])
    people = [make_user().id for _ in range(24)]
    errors: list[BaseException] = []
    done = threading.Event()

    def voter(chunk: list[int]) -> None:
        try:
            for n, uid in enumerate(chunk):
                for round_ in range(2):  # a first vote, then a change
                    for sid in sids:
                        with app.app_context(), unit():
                            operations.vote(
                                db.session.get(User, uid),
                                db.session.get(Statement, sid),
                                (n + round_ + sid) % 3 - 1,
                            )
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def folder() -> None:
        try:
            while not done.is_set():
                with app.app_context(), unit():
                    tallies.fold(did)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    voters = [threading.Thread(target=voter, args=(people[i::4],)) for i in range(4)]
    folders = [threading.Thread(target=folder) for _ in range(2)]
    for t in voters + folders:
        t.start()
    for t in voters:
        t.join()
    done.set()
    for t in folders:
        t.join()
    assert errors == []
    with app.app_context(), unit():
        tallies.fold(did)
    with app.app_context():
        for sid in sids:
            assert _stored(sid) == _from_votes(sid)
            assert sum(_stored(sid)) == len(people)
        assert db.session.scalar(select(func.count()).select_from(StatementTally)) == 0


def test_a_process_queues_one_fold_per_discussion_and_period(app):
    """With a consumer (not the tests' at-once queue), the votes of a couple of seconds
    share one fold job per discussion in each process."""
    from participate.jobs import huey

    saved = huey._immediate
    huey.storage.flush_queue()
    tallies._due.clear()
    huey._immediate = False
    try:
        for _ in range(3):
            tallies.fold_soon(41)
        tallies.fold_soon(42)
        queued = [t.args for t in huey.pending() if t.name.endswith("fold_discussion")]
    finally:
        huey._immediate = saved
        huey.storage.flush_queue()
        tallies._due.clear()
    assert sorted(queued) == [(41,), (42,)]
