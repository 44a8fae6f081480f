"""Where transactions end: the request, the job and the CLI command each commit once.

Operations (``<area>/operations.py``) check the policy, write, flush and queue their side
effects in :mod:`participate.outbox`; they never commit, so they compose (moderation's
decision calls the discussion's visibility change inside one transaction). The boundary
around them decides:

- a **request** commits when the view returns a response below 400 and no operation
  refused during it (a :class:`participate.errors.RuleError` was raised, even if the view
  caught it to show the form again); otherwise it rolls back;
- a **job** or a **CLI command** runs inside :func:`unit`: commit on success, roll back on
  an exception (:func:`command` is the unit of a CLI command: what stops it becomes click's
  one-line error and a non-zero exit, not a traceback);

and only after the commit runs the outbox, each effect in its own small transaction, so a
failing effect is logged and never undoes the write that queued it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask, Response, g
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from participate import outbox
from participate.extensions import db

log = logging.getLogger(__name__)


def commit() -> None:
    """Commit the current transaction, then run what it queued."""
    db.session.commit()
    run_outbox()


def rollback() -> None:
    """Undo the current transaction and forget what it queued."""
    db.session.rollback()
    outbox.discard()


def run_outbox() -> None:
    """Run queued effects after a commit; effects may queue more, which run too. An effect
    that wrote nothing (it queued a job, or found the work done) has no transaction to
    commit: the session would begin one only to end it, a few percent of a vote's CPU."""
    for _round in range(10):  # effects queueing effects: bounded, never a loop forever
        effects = outbox.take()
        if not effects:
            return
        for effect in effects:
            try:
                effect.fn(*effect.args)
                if db.session().in_transaction():
                    db.session.commit()
            except Exception:  # noqa: BLE001 - the write that queued it stands; logged
                db.session.rollback()
                outbox.discard()
                log.exception("side effect %s%r failed after commit", effect.name, effect.args)
    log.error("the outbox was still not empty after 10 rounds; the rest was dropped")
    outbox.discard()


@contextmanager
def unit() -> Iterator[None]:
    """One unit of work for a job or a command: commit once on success, else roll back."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit()


@contextmanager
def command() -> Iterator[None]:
    """The unit of work of a ``flask`` command: :func:`unit`, and when something stops it,
    nothing is written and the operator reads one line (click's ``Error: ...``, exit status
    1) instead of a traceback: an operation's refusal (:class:`participate.errors.RuleError`)
    with its message; a file or folder the command cannot read or write, named; a database
    that cannot be reached or is not migrated with what the driver said. Other errors are
    bugs and keep their traceback."""
    from participate.errors import RuleError

    try:
        with unit():
            yield
    except RuleError as exc:
        raise click.ClickException(exc.message) from exc
    except OSError as exc:
        where = exc.filename or _("a file")
        raise click.ClickException(
            _("%(file)s: %(reason)s", file=where, reason=exc.strerror or exc)
        ) from exc
    except (OperationalError, ProgrammingError) as exc:
        reason = (str(exc.orig or exc).strip().splitlines() or [type(exc).__name__])[0]
        raise click.ClickException(
            _(
                "The database failed: %(reason)s (is it running, and migrated with "
                "'flask db upgrade'?)",
                reason=reason,
            )
        ) from exc


@contextmanager
def savepoint() -> Iterator[None]:
    """A savepoint that a lost race (a unique key) rolls back alone, so the operation can
    turn it into a clear refusal and the session stays usable for the page that says so.

    Add the rows *inside* the block: ``begin_nested()`` flushes what is pending before it
    sets the savepoint, so a row added earlier would fail outside it. On SQLite the driver
    opens its transaction lazily, at the first INSERT/UPDATE/DELETE: a savepoint set before
    any write would be the outermost one, and releasing it would commit for good, so the
    transaction is opened for real first.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if driver is not None and not driver.in_transaction:
            driver.execute("BEGIN")
    with db.session.begin_nested():
        yield


def refused() -> bool:
    """Did an operation refuse something during this request?"""
    return bool(g.get("refused"))


def _start_request() -> None:
    """Forget a refusal from before this request: ``g`` lives in the app context, which a
    request shares with the code around it when one is already pushed (tests, a CLI
    command calling the test client), so a refusal there must not roll this request back."""
    g.pop("refused", None)


def _finish_request(response: Response) -> Response:
    if response.status_code >= 400 or refused():
        rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, DBAPIError) as exc:
        # Lost a race the operation could not see (a unique key, a serialization failure,
        # SQLite busy beyond its timeout): nothing was written; the person may try again.
        # Or the database went away during the commit: a 503, not a conflict.
        from participate.errors import database_unavailable, error_response, unavailable_response

        try:
            rollback()
        except DBAPIError:
            log.warning("rollback after a failed commit failed", exc_info=True)
        log.warning("commit failed at the end of the request", exc_info=True)
        if database_unavailable(exc):
            return unavailable_response()

        return error_response(
            409, "conflict", _("That conflicts with the current state; reload and try again.")
        )
    run_outbox()
    return response


def _teardown(exc: BaseException | None) -> None:
    if exc is not None:
        rollback()


def init_app(app: Flask) -> None:
    """Register the request boundary. ``create_app`` calls this last: Flask runs the app's
    after-request functions newest first, so the commit happens before the others (the
    security headers) and they apply to a conflict page that replaces the response."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(_teardown)
