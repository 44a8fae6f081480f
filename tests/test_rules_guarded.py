"""The discussion's rule functions apply the moderation guards themselves, so a caller that
skips the web request (the API, a script) still cannot write into a locked thread."""

# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participate.discussion import rules
from participate.errors import RuleError
from participate.extensions import db
from participate.models import Discussion, Reply, Statement, User
from participate.moderation import rules as moderation
from tests.discussion_fixtures import make_discussion  # noqa: F401 - fixture


def test_locked_discussion_refuses_writes_in_the_rules(app, make_user, make_discussion):
    author = make_user()
    moderator = make_user(role="moderator")
    _, discussion_id = make_discussion()
    with app.test_request_context():
        discussion = db.session.get(Discussion, discussion_id)
        first = rules.post_statement(db.session.get(User, author.id), discussion, "先寫一則意見")
        statement_id = first.id
        moderation.lock(db.session.get(User, moderator.id), discussion, reason="冷卻一下")

        writer = db.session.get(User, author.id)
        with pytest.raises(RuleError) as refused:
            rules.post_statement(writer, db.session.get(Discussion, discussion_id), "再寫一則")
        assert refused.value.status == 403
        db.session.rollback()
        with pytest.raises(RuleError):
            rules.reply(writer, db.session.get(Statement, statement_id), "回覆")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Statement)) == 1
        assert db.session.scalar(select(func.count()).select_from(Reply)) == 0
