"""The default bulk import's key checks (issue 15): on PostgreSQL the vote tables' foreign
keys are checked once per distinct value instead of once per row, and a value that refers
to nothing is still refused, leaving nothing behind; elsewhere the database checks every
row as before."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from participate.discussion import polis_bulk
from participate.extensions import db
from participate.models import Proposal, Statement, User, VoteHistory
from participate.models.discussion import get_or_create_discussion
from tests.test_discussion_polis import _proposal
from tests.test_discussion_polis_bulk import _small_export


def _history_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(VoteHistory))


def test_a_reference_to_nothing_is_refused_and_nothing_is_written(app):
    pid = _proposal(app)
    with app.app_context():
        discussion = get_or_create_discussion(db.session.get(Proposal, pid))
        user = User(display_name="polis-1", email=None)
        statement = Statement(discussion_id=discussion.id, text="測試")
        db.session.add_all([user, statement])
        db.session.commit()
        before = _history_rows()
        table = VoteHistory.__table__
        with pytest.raises((polis_bulk.KeyCheckError, IntegrityError)):
            with polis_bulk.keys_checked_once([table]) as set_based:
                polis_bulk.write_rows(
                    table,
                    {
                        "discussion_id": discussion.id,
                        "statement_id": np.array([statement.id, statement.id + 1000]),
                        "participant_id": np.array([user.id, user.id]),
                        "value": np.array([1, -1]),
                        "created_at": np.array([1435654400001, 1435654400002]),
                    },
                    timestamps=("created_at",),
                )
                db.session.flush()
        assert set_based == (db.engine.dialect.name == "postgresql")
        db.session.rollback()
        assert _history_rows() == before
        # The setting ends with the transaction: the next one checks every row again.
        if db.engine.dialect.name == "postgresql":
            role = db.session.scalar(select(func.current_setting("session_replication_role")))
            assert role == "origin"


def test_the_default_import_leaves_the_row_checks_on(app, tmp_path):
    src = _small_export(tmp_path / "src")
    pid = _proposal(app)
    result = app.test_cli_runner().invoke(args=["import-polis", str(src), "--proposal", str(pid)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            role = db.session.scalar(select(func.current_setting("session_replication_role")))
            assert role == "origin"
        names = db.session.scalars(
            select(User.display_name).where(User.display_name.like("polis-%"))
        ).all()
        assert sorted(names) == ["polis-0", "polis-1", "polis-3"]


def test_write_rows_wants_every_column_with_a_python_default(app):
    with app.app_context(), pytest.raises(ValueError, match="COPY skips"):
        polis_bulk.write_rows(User.__table__, {"display_name": ["x"]})
