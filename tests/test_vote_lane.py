"""The vote's lane (participate.discussion.lane): the site's JSON vote answered in front of
Flask, exactly as the view answers it; everything else answered by the view."""
# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from participate.discussion.lane import VoteLane
from participate.extensions import db
from participate.models import ProposalStatus, Vote, VoteHistory
from tests.discussion_fixtures import (  # noqa: F401 - fixtures
    add_statements,
    make_discussion,
    set_proposal_status,
)

LANE = {"Accept": "application/json"}  # what the site's script sends
# Also JSON, but not the exact header the lane takes: the view answers.
VIEW = {"Accept": "application/json, text/html;q=0.5"}
# Headers that differ between any two answers.
VARYING = {"date", "content-length"}


def _lane(app: Flask) -> VoteLane:
    lane = app.wsgi_app
    assert isinstance(lane, VoteLane), "the vote's lane is not in front of the app"
    return lane


def _url(sid: int) -> str:
    return f"/discussion/statements/{sid}/vote"


def _votes(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Vote)) or 0,
            db.session.scalar(select(func.count()).select_from(VoteHistory)) or 0,
        )


def _headers(resp: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in resp.headers.items() if k.lower() not in VARYING}


def test_the_lane_answers_the_sites_vote_as_the_view_would(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    first, second, third = add_statements(app, did, ["甲", "乙", "丙"])
    login(client, make_user())
    lane = _lane(app)
    before = lane.answered

    by_view = client.post(_url(first), data={"value": "agree"}, headers=VIEW)
    assert lane.answered == before
    by_lane = client.post(_url(second), data={"value": "agree"}, headers=LANE)
    assert lane.answered == before + 1
    assert by_view.status_code == by_lane.status_code == 200
    assert by_lane.get_json() == {
        "statement_id": second,
        "value": 1,
        "previous": None,
        "changed": True,
        "counts": {"agree": 1, "disagree": 0, "pass": 0},
    }
    assert by_view.get_json() == by_lane.get_json() | {"statement_id": first}
    # The same bytes apart from the id, and the same headers: type, security, Vary.
    assert by_lane.get_data() == by_view.get_data().replace(
        f'"statement_id":{first}'.encode(), f'"statement_id":{second}'.encode()
    )
    assert _headers(by_lane) == _headers(by_view)
    assert "frame-ancestors 'none'" in by_lane.headers["Content-Security-Policy"]

    # A changed vote, and a JSON body, through the lane too.
    changed = client.post(_url(second), data={"value": "disagree"}, headers=LANE)
    assert changed.get_json()["previous"] == 1
    assert changed.get_json()["counts"] == {"agree": 0, "disagree": 1, "pass": 0}
    as_json = client.post(_url(third), json={"value": "pass"}, headers=LANE)
    assert as_json.get_json()["counts"]["pass"] == 1
    assert lane.answered == before + 3
    assert _votes(app) == (3, 4)


def test_what_the_lane_does_not_take_the_view_answers(
    app, client, make_user, login, make_discussion
):
    pid, did = make_discussion()
    closed_pid, closed_did = make_discussion()
    sid, other = add_statements(app, did, ["甲", "乙"])
    (closed,) = add_statements(app, closed_did, ["丙"])
    set_proposal_status(app, closed_pid, ProposalStatus.CLOSED)
    lane = _lane(app)
    before = lane.answered

    visitor = app.test_client().post(_url(sid), data={"value": "agree"}, headers=LANE)
    assert visitor.status_code == 401
    assert visitor.get_json()["error"]["code"] == "login_required"

    login(client, make_user())
    forged = client.post(_url(sid), data={"value": "agree", "csrf_token": "forged"}, headers=LANE)
    assert forged.status_code == 400 and forged.get_json()["error"]["code"] == "csrf"
    refused = client.post(_url(closed), data={"value": "agree"}, headers=LANE)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == "此討論已結束，您仍可閱讀內容。"
    missing = client.post(_url(2_000_000), data={"value": "agree"}, headers=LANE)
    assert missing.status_code == 404
    bad = client.post(_url(sid), data={"value": "maybe"}, headers=LANE)
    assert bad.status_code == 400 and "value" in bad.get_json()["error"]["fields"]
    too_deep = client.post(
        _url(sid),
        data=b'{"value": ' + b"[" * 1500 + b"]" * 1500 + b"}",
        headers={**LANE, "Content-Type": "application/json", "X-CSRFToken": client.fetch_csrf()},
        csrf=False,
    )
    assert too_deep.status_code == 400
    assert lane.answered == before
    assert _votes(app) == (0, 0)

    # The plain form (no script): the view votes and sends the person back to the card.
    form = client.post(_url(sid), data={"value": "agree"})
    assert form.status_code == 302 and f"/proposals/{pid}/discussion/vote" in form.location
    # A body the lane does not read (multipart): the view votes.
    multipart = client.post(
        _url(other), data={"value": "pass"}, headers=LANE, content_type="multipart/form-data"
    )
    assert multipart.status_code == 200 and multipart.get_json()["counts"]["pass"] == 1
    assert lane.answered == before
    assert _votes(app) == (2, 2)


def test_a_staff_account_votes_through_the_view(app, client, make_user, login, make_discussion):
    # A staff account's second factor is in the session's other keys, which the view reads.
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["甲"])
    login(client, make_user(role="moderator"))  # with the second factor given
    before = _lane(app).answered
    resp = client.post(_url(sid), data={"value": "agree"}, headers=LANE)
    assert resp.status_code == 200 and resp.get_json()["counts"]["agree"] == 1
    assert _lane(app).answered == before


def test_a_hit_the_lane_counted_is_not_counted_again(
    app, client, make_user, login, make_discussion
):
    """Three votes a minute: a vote the lane counts and hands over (the discussion is
    closed) is one of the three, not two; the fourth is refused by the view, with the
    time to wait."""
    app.config["VOTE_RATE_LIMIT"] = "3 per minute"
    _pid, did = make_discussion()
    closed_pid, closed_did = make_discussion()
    first, second = add_statements(app, did, ["甲", "乙"])
    (closed,) = add_statements(app, closed_did, ["丙"])
    set_proposal_status(app, closed_pid, ProposalStatus.CLOSED)
    login(client, make_user())
    assert client.post(_url(closed), data={"value": "agree"}, headers=LANE).status_code == 403
    assert client.post(_url(first), data={"value": "agree"}, headers=LANE).status_code == 200
    assert client.post(_url(second), data={"value": "agree"}, headers=LANE).status_code == 200
    spent = client.post(_url(first), data={"value": "pass"}, headers=LANE)
    assert spent.status_code == 429 and int(spent.headers["Retry-After"]) >= 1
    assert _votes(app) == (2, 2)


def test_over_https_the_lane_keeps_the_referrer_rule(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    first, second = add_statements(app, did, ["甲", "乙"])
    login(client, make_user())
    client.fetch_csrf()
    lane = _lane(app)
    before = lane.answered
    secure = {"base_url": "https://localhost"}
    no_referrer = client.post(_url(first), data={"value": "agree"}, headers=LANE, **secure)
    assert no_referrer.status_code == 400 and no_referrer.get_json()["error"]["code"] == "csrf"
    foreign = {**LANE, "Referer": "https://elsewhere.example/"}
    assert (
        client.post(_url(first), data={"value": "agree"}, headers=foreign, **secure).status_code
        == 400
    )
    assert lane.answered == before
    ours = {**LANE, "Referer": "https://localhost/proposals/1/discussion"}
    resp = client.post(_url(second), data={"value": "agree"}, headers=ours, **secure)
    assert resp.status_code == 200 and lane.answered == before + 1
    assert _votes(app) == (1, 1)


def test_a_host_the_app_does_not_serve_is_left_to_flask(
    app, client, make_user, login, make_discussion
):
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["甲"])
    login(client, make_user())
    client.fetch_csrf()
    app.config["TRUSTED_HOSTS"] = ["participate.example.tw"]
    before = _lane(app).answered
    resp = client.post(_url(sid), data={"value": "agree"}, headers=LANE)
    assert resp.status_code == 400
    assert _lane(app).answered == before and _votes(app) == (0, 0)
    app.config["TRUSTED_HOSTS"] = ["participate.example.tw", "localhost"]
    served = client.post(_url(sid), data={"value": "agree"}, headers=LANE)
    assert served.status_code == 200 and _lane(app).answered == before + 1
