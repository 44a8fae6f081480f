# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures
"""The vote reads its voter in its own query (no cached account): a suspension, a
password change (the session version), a deleted account or a moderators' lock counts
from the very next vote, and a moderator still votes through a lock."""

from __future__ import annotations

from datetime import timedelta

from participate.extensions import db
from participate.models import ThreadLock, User, Vote
from participate.timeutil import utcnow
from tests.discussion_fixtures import (  # noqa: F401 - fixtures
    add_statements,
    make_discussion,
)

JSON = {"Accept": "application/json"}


def _vote(client, sid, value="agree"):
    return client.post(f"/discussion/statements/{sid}/vote", data={"value": value}, headers=JSON)


def _change(app, uid, **values):
    with app.app_context():
        user = db.session.get(User, uid)
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def _votes(app, uid):
    with app.app_context():
        return db.session.query(Vote).filter_by(participant_id=uid).count()


def test_suspension_counts_from_the_next_vote(app, client, make_user, login, make_discussion):
    _pid, did = make_discussion()
    first, second = add_statements(app, did, ["一", "二"])
    user = make_user()
    login(client, user)
    assert _vote(client, first).status_code == 200
    _change(app, user.id, suspended_until=utcnow() + timedelta(days=1))
    r = _vote(client, second)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "suspended"
    assert _votes(app, user.id) == 1


def test_a_bumped_session_version_logs_the_old_cookie_out(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    first, second = add_statements(app, did, ["一", "二"])
    user = make_user()
    login(client, user)
    assert _vote(client, first).status_code == 200
    _change(app, user.id, session_version=user.session_version + 1)  # a password change
    r = _vote(client, second)
    assert r.status_code == 401
    assert _votes(app, user.id) == 1


def test_a_deleted_account_cannot_vote(app, client, make_user, login, make_discussion):
    _pid, did = make_discussion()
    first, sid = add_statements(app, did, ["一", "二"])
    user = make_user()
    login(client, user)
    assert _vote(client, first).status_code == 200
    _change(app, user.id, deleted_at=utcnow())
    assert _vote(client, sid).status_code == 401
    assert _votes(app, user.id) == 1


def test_locks_refuse_participants_not_moderators(app, client, make_user, login, make_discussion):
    _pid, did = make_discussion()
    locked_thread, other = add_statements(app, did, ["鎖住的", "沒鎖的"])
    moderator = make_user(role="moderator")
    with app.app_context():
        db.session.add(
            ThreadLock(
                discussion_id=did,
                statement_id=locked_thread,
                locked_by_id=moderator.id,
                created_at=utcnow(),
            )
        )
        db.session.commit()
    login(client, make_user())
    r = _vote(client, locked_thread)
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "locked"
    assert _vote(client, other).status_code == 200
    mod_client = app.test_client()
    login(mod_client, moderator)
    assert _vote(mod_client, locked_thread).status_code == 200


def test_a_changed_vote_moves_the_counters_and_keeps_history(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["一"])
    login(client, make_user())
    assert _vote(client, sid, "agree").get_json()["counts"] == {
        "agree": 1,
        "disagree": 0,
        "pass": 0,
    }
    body = _vote(client, sid, "pass").get_json()
    assert body["previous"] == 1 and body["changed"] is True
    assert body["counts"] == {"agree": 0, "disagree": 0, "pass": 1}
    same = _vote(client, sid, "pass").get_json()
    assert same["changed"] is False and same["counts"] == body["counts"]
