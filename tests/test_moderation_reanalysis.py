"""Hiding or restoring a statement asks for a fresh opinion analysis of its discussion, so the
report's numbers follow moderation without waiting for the next vote."""

# ruff: noqa: F811 - pytest fixtures imported from tests.moderation_fixtures
from __future__ import annotations

from sqlalchemy import delete, select

from participate.extensions import db
from participate.models import AnalysisState, ContentStatus, ModerationItem, Statement
from tests.moderation_fixtures import (  # noqa: F401 - fixtures
    add_statement,
    get,
    items,
    make_consultation,
    quick_login,
)


def _requested(app, discussion_id: int) -> bool:
    with app.app_context():
        state = db.session.scalar(
            select(AnalysisState).where(AnalysisState.discussion_id == discussion_id)
        )
        db.session.remove()
        return state is not None and state.requested_at is not None


def test_hide_and_restore_request_an_analysis(
    app, client, make_user, quick_login, make_consultation
):
    from tests.conftest import CsrfClient

    app.config["MODERATION_REPORT_THRESHOLD"] = 1
    _pid, did = make_consultation()
    sid = add_statement(app, did, make_user().id, "會被檢舉的意見")
    assert not _requested(app, did)

    app.test_client_class = CsrfClient
    reporter = app.test_client()
    quick_login(reporter, make_user())
    resp = reporter.post(f"/discussion/report/statement/{sid}", data={"reason": "abuse"})
    assert resp.status_code in (200, 302)
    assert get(app, Statement, sid).status == ContentStatus.HIDDEN
    assert _requested(app, did)  # the automatic hide asked for a new analysis

    with app.app_context():
        db.session.execute(delete(AnalysisState))
        db.session.commit()
    quick_login(client, make_user(role="moderator"))
    (item,) = items(
        app, ModerationItem.content_id == sid, ModerationItem.content_type == "statement"
    )
    resp = client.post(f"/moderation/items/{item.id}", data={"action": "restore"})
    assert resp.status_code == 302
    assert get(app, Statement, sid).status == ContentStatus.VISIBLE
    assert _requested(app, did)  # and so did the moderator's restore
