"""The discussion's operations ask the policy themselves, so a caller that skips the web
request (the API, a script) still cannot write into a locked discussion or thread, while a
moderator still can and anyone may still report."""

# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from participate.boundary import unit
from participate.discussion import operations
from participate.errors import RuleError
from participate.extensions import db
from participate.models import Discussion, Reply, Report, Statement, User, Vote
from participate.moderation import operations as moderation
from tests.discussion_fixtures import make_discussion  # noqa: F401 - fixture


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("scope", ["discussion", "thread"])
def test_a_lock_refuses_writes_in_the_operations(app, make_user, make_discussion, scope):
    author = make_user()
    moderator = make_user(role="moderator")
    _, discussion_id = make_discussion()
    with app.test_request_context():
        with unit():
            discussion = db.session.get(Discussion, discussion_id)
            first = operations.post_statement(
                db.session.get(User, author.id), discussion, "先寫一則意見"
            )
            statement_id = first.item.id
        with unit():
            moderation.lock(
                db.session.get(User, moderator.id),
                db.session.get(Discussion, discussion_id),
                db.session.get(Statement, statement_id) if scope == "thread" else None,
                reason="冷卻一下",
            )

        writer = db.session.get(User, author.id)
        statement = db.session.get(Statement, statement_id)
        refused_writes = {
            "reply": lambda: operations.reply(writer, statement, "回覆"),
            "vote": lambda: operations.vote(writer, statement, 1),
        }
        if scope == "discussion":
            refused_writes["post"] = lambda: operations.post_statement(
                writer, db.session.get(Discussion, discussion_id), "再寫一則"
            )
        for name, attempt in refused_writes.items():
            with pytest.raises(RuleError) as refused:
                attempt()
            assert (refused.value.status, refused.value.code) == (403, "locked"), name
            db.session.rollback()
        assert (_count(Statement), _count(Reply), _count(Vote)) == (1, 0, 0)

        if scope == "thread":  # the rest of the discussion goes on
            with unit():
                operations.post_statement(
                    db.session.get(User, author.id),
                    db.session.get(Discussion, discussion_id),
                    "別的意見",
                )
        with unit():  # anyone may still report, and moderators write through the lock
            operations.report(
                db.session.get(User, make_user().id),
                db.session.get(Statement, statement_id),
                "spam",
            )
            mod = db.session.get(User, moderator.id)
            operations.reply(mod, db.session.get(Statement, statement_id), "請大家冷靜")
            operations.vote(mod, db.session.get(Statement, statement_id), 0)
        assert (_count(Report), _count(Reply), _count(Vote)) == (1, 1, 1)
