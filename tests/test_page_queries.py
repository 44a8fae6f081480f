# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures
"""Pages under load: the discussion page, the voting card and the proposal page for a
logged-in participant run a bounded number of SQL statements, however many statements,
votes and participants the discussion has (counted with an engine event, in the test only),
and the discussion is loaded once per page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from participate.extensions import db
from participate.models import Proposal
from participate.timeutil import utcnow
from tests.discussion_fixtures import (  # noqa: F401 - fixtures
    add_statements,
    count_queries,
    make_discussion,
)

JSON = {"Accept": "application/json"}


def _reads(table: str, seen: list[str]) -> int:
    return sum(f" FROM {table} " in " ".join(q.split()) + " " for q in seen)


@pytest.fixture()
def busy(app, client, make_user, login, make_discussion):
    """A discussion with statements, others' votes, and the viewer's own votes."""
    pid, did = make_discussion()
    with app.app_context():  # a consultation open for a month, as the proposal page shows it
        proposal = db.session.get(Proposal, pid)
        proposal.opened_at = utcnow()
        proposal.deadline = utcnow() + timedelta(days=30)
        db.session.commit()
    ids = add_statements(app, did, [f"意見 {i}" for i in range(30)])
    for _ in range(3):
        other = app.test_client()
        login(other, make_user())
        for sid in ids[:10]:
            other.post(f"/discussion/statements/{sid}/vote", data={"value": "agree"}, headers=JSON)
    login(client, make_user())
    for sid in ids[:5]:
        client.post(f"/discussion/statements/{sid}/vote", data={"value": "disagree"}, headers=JSON)
    client.get("/")  # the first page of a session
    return pid, did


@pytest.mark.parametrize(
    ("name", "path", "bound"),
    [
        # Measured: 13, 12, 9 and 12, of which 3 are the navigation's unread counts; the
        # discussion page had 15 and the card 14 (the proposal read twice, the lock twice).
        ("discussion", "/proposals/{pid}/discussion", 13),
        ("card", "/proposals/{pid}/discussion/vote", 12),
        ("card fragment", "/proposals/{pid}/discussion/vote?fragment=1", 9),
        ("proposal", "/proposals/{pid}", 12),
    ],
)
def test_pages_for_a_participant_run_a_bounded_number_of_statements(
    app, client, busy, name, path, bound
):
    pid, _did = busy
    if name == "discussion" and str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql"):
        bound += 1  # PostgreSQL: the listed statements' votes not folded into them yet
    with count_queries(app) as seen:
        resp = client.get(path.format(pid=pid))
    assert resp.status_code == 200, name
    assert len(seen) <= bound, "\n".join(seen)
    # The discussion and its proposal are read once, the lock at most once.
    for table in ("discussion", "proposal", "thread_lock"):
        assert _reads(table, seen) <= 1, (table, seen)
