"""The transaction boundary and the outbox: one commit per request, job or command, and side
effects only after that commit.

A second app on the test database gets a few routes of its own that write a row (an audit
entry) and queue an effect, then end in each way a request can end. What matters is what a
second connection sees afterwards, and which effects ran.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, abort
from sqlalchemy import func, select, text

from participate import audit, outbox
from participate.boundary import unit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import AuditLog

SENT: list[str] = []


def _send(label: str) -> None:
    """An effect that checks it runs after the commit: a separate connection sees the row."""
    with db.engine.connect() as conn:
        committed = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = :a"), {"a": label}
        ).scalar()
    SENT.append(f"{label}:{committed}")


def _explode(_label: str) -> None:
    raise RuntimeError("the mail server is down")


def _write(label: str) -> None:
    audit.record(None, label, "test", None)
    db.session.flush()
    outbox.add(_send, label)


@pytest.fixture()
def boundary_app(app: Flask) -> Iterator[Flask]:
    from participate import create_app

    other = create_app({**app.config})

    @other.route("/t/ok", methods=["POST"])
    def ok() -> str:
        _write("ok")
        outbox.add(_send, "ok")  # the same effect twice: it runs once
        return "done"

    @other.route("/t/refused", methods=["POST"])
    def refused() -> tuple[str, int]:
        _write("refused")
        try:
            raise RuleError("no", status=409)
        except RuleError:
            return "the form again", 200  # the view caught it: still a refusal

    @other.route("/t/bad", methods=["POST"])
    def bad() -> tuple[str, int]:
        _write("bad")
        return "invalid", 400

    @other.route("/t/abort", methods=["POST"])
    def aborted() -> str:
        _write("abort")
        abort(403)

    @other.route("/t/crash", methods=["POST"])
    def crash() -> str:
        _write("crash")
        raise RuntimeError("a bug")

    @other.route("/t/effect-fails", methods=["POST"])
    def effect_fails() -> str:
        _write("effect-fails")
        outbox.add(_explode, "x")
        outbox.add(_send, "after-failure")
        return "done"

    SENT.clear()
    yield other
    SENT.clear()
    with other.app_context():  # this app has its own engine: close its connections
        db.session.remove()
        db.engine.dispose()


def _rows(app: Flask, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
        )


def _post(app: Flask, path: str) -> int:
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client().post(path).status_code


def test_a_successful_request_commits_once_then_runs_its_effects_once(boundary_app):
    assert _post(boundary_app, "/t/ok") == 200
    assert _rows(boundary_app, "ok") == 1
    assert SENT == ["ok:1"]  # after the commit (a second connection saw the row), once


@pytest.mark.parametrize(
    ("path", "status"),
    [("/t/refused", 200), ("/t/bad", 400), ("/t/abort", 403), ("/t/crash", 500)],
)
def test_a_failed_or_refused_request_writes_nothing_and_sends_nothing(boundary_app, path, status):
    assert _post(boundary_app, path) == status
    assert _rows(boundary_app, path.removeprefix("/t/")) == 0
    assert SENT == []


def test_a_failing_effect_neither_undoes_the_write_nor_stops_the_others(boundary_app):
    assert _post(boundary_app, "/t/effect-fails") == 200
    assert _rows(boundary_app, "effect-fails") == 1
    assert SENT == ["effect-fails:1", "after-failure:0"]


def test_a_unit_of_work_commits_on_success_and_rolls_back_on_error(app):
    SENT.clear()
    with app.app_context():
        with unit():
            _write("unit-ok")
        with pytest.raises(RuntimeError), unit():
            _write("unit-fails")
            raise RuntimeError("the job failed")
    assert _rows(app, "unit-ok") == 1
    assert _rows(app, "unit-fails") == 0
    assert SENT == ["unit-ok:1"]
    SENT.clear()


def test_a_refusal_outside_a_request_is_worded_in_the_sites_language(app, make_user):
    """Jobs and commands call the same operations as requests; their refusals must not need
    a request to be translated."""
    from participate.models import Discussion, Proposal, ProposalKind, ProposalStatus, User
    from participate.reports import scheduler

    citizen = make_user()
    with app.app_context():
        proposal = Proposal(
            kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN, title="t", summary=""
        )
        discussion = Discussion(proposal=proposal)
        db.session.add_all([proposal, discussion])
        db.session.flush()
        with pytest.raises(RuleError) as refused, unit():
            scheduler.reanalyse_now(db.session.get(User, citizen.id), discussion)
        assert refused.value.status == 403
        assert "機關" in refused.value.message  # zh-Hant, the default language
