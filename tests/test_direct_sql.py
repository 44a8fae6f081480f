"""participate.direct_sql: the vote's statements on the driver's cursor must store and read
what SQLAlchemy would, and fail the way SQLAlchemy fails (on both databases)."""
# ruff: noqa: F811 - pytest fixtures imported from tests.discussion_fixtures

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from participate import direct_sql
from participate.boundary import unit
from participate.discussion import operations, queries
from participate.extensions import db
from participate.models import ContentStatus, Proposal, Statement, User, Vote, VoteHistory
from participate.proposals import operations as proposal_operations
from participate.timeutil import aware
from tests.discussion_fixtures import (  # noqa: F401 - fixtures
    add_statements,
    make_discussion,
)
from tests.proposals_fixtures import T0, cast, make_endorsing  # noqa: F401 - fixtures

_VT = Vote.__table__


def test_a_votes_times_are_found_by_the_orm_as_written(app, make_user, make_discussion):
    """A time written through the cursor compares equal in SQL to the same time bound by
    SQLAlchemy (on SQLite both are text, so the format must be the same to the digit),
    with and without a fraction of a second."""
    _pid, did = make_discussion()
    first, second = add_statements(app, did, ["甲", "乙"])
    voter = make_user()
    whole = datetime(2026, 12, 1, 8, 30, 0, tzinfo=UTC)
    fraction = whole + timedelta(microseconds=120_005)
    with app.app_context():
        user = db.session.get(User, voter.id)
        for sid, when in ((first, whole), (second, fraction)):
            statement = db.session.get(Statement, sid)
            operations.vote(user, statement, 1, now=when)
        db.session.commit()
        for sid, when in ((first, whole), (second, fraction)):
            found = db.session.scalars(
                select(VoteHistory.statement_id).where(
                    VoteHistory.participant_id == voter.id, VoteHistory.created_at == when
                )
            ).all()
            assert found == [sid]
            vote = db.session.scalars(select(Vote).where(Vote.statement_id == sid)).one()
            assert aware(vote.created_at) == when
            assert aware(vote.updated_at) == when


def test_a_read_row_comes_back_in_the_columns_types(app, make_user, make_discussion):
    """The lane's context, read on the cursor: enums are enums, times are times, the
    account is a User with its columns' values, not one the session holds."""
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["甲"])
    voter = make_user()
    with app.app_context():
        stored = db.session.get(User, voter.id)
        context = queries.vote_context(sid, (stored.id, stored.session_version))
        assert context.statement is not None and context.statement.id == sid
        assert context.statement.status is ContentStatus.VISIBLE
        assert context.user is not None and context.user is not stored
        assert context.user not in db.session
        assert (context.user.id, context.user.email) == (stored.id, stored.email)
        assert context.user.created_at == stored.created_at
        assert context.user.role == stored.role
        # A session version that is not the account's: no voter.
        assert queries.vote_context(sid, (stored.id, stored.session_version + 1)).user is None
        db.session.rollback()


def test_a_lost_unique_key_is_sqlalchemys_integrity_error(app, make_user, make_discussion):
    """A race lost to a unique key reaches the boundary and the error handlers as the same
    IntegrityError a Core statement raises, and the session recovers by rolling back."""
    _pid, did = make_discussion()
    (sid,) = add_statements(app, did, ["甲"])
    voter = make_user()
    now = datetime.now(UTC)
    row = {"d": did, "s": sid, "p": voter.id, "v": 1, "now": now}
    plain = insert(_VT).values(
        discussion_id=bindparam("d"),
        statement_id=bindparam("s"),
        participant_id=bindparam("p"),
        value=bindparam("v"),
        created_at=bindparam("now"),
        updated_at=bindparam("now"),
    )
    with app.app_context():
        direct_sql.run(db.session.connection(), plain, row)
        with pytest.raises(IntegrityError):
            direct_sql.run(db.session.connection(), plain, row)
        db.session.rollback()
        assert db.session.scalar(select(Vote.id).where(Vote.statement_id == sid)) is None


def test_a_statement_whose_sql_changes_per_call_is_refused(app):
    """An IN list renders per call: compiling it once would run the wrong SQL."""
    many = select(_VT.c.id).where(_VT.c.id.in_(bindparam("ids", expanding=True)))
    with app.app_context(), pytest.raises(ValueError):
        direct_sql.first(db.session.connection(), many, {"ids": [1, 2]})


def test_a_column_sqlalchemy_would_fill_per_run_is_refused(app):
    """A Python-side default or onupdate (the proposal's ``updated_at``) is computed by
    SQLAlchemy per execution; on the cursor it would silently not be: refused at once."""
    pt = Proposal.__table__
    bump = update(pt).where(pt.c.id == bindparam("pid")).values(endorsement_count=1)
    with app.app_context(), pytest.raises(ValueError, match="updated_at"):
        direct_sql.run(db.session.connection(), bump, {"pid": 1})


def test_an_endorsement_still_stamps_the_proposals_update_time(app, app_ctx, cast):
    """The endorsement's count statement sets ``updated_at`` itself, as its onupdate did."""
    proposal = make_endorsing(cast)
    later = T0 + timedelta(days=2)
    with unit():
        result = proposal_operations.endorse(cast.get("citizen"), proposal.id, later)
    assert result.count == 1
    db.session.expire_all()
    stored = db.session.get(Proposal, proposal.id)
    assert stored.endorsement_count == 1
    assert aware(stored.updated_at) == later
