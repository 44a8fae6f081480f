"""Locks: a moderator stops new statements, replies and votes in a discussion or in one
statement's thread; reading and reporting go on. The discussion's operations ask the
policy (``policy.participation_refusal`` -> ``policy.lock_on``), so a lock holds for the
site, the API and scripts alike; moderators write through it."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participate import audit, policy
from participate.boundary import savepoint
from participate.errors import RuleError
from participate.extensions import db
from participate.models import Discussion, Statement, ThreadLock, User
from participate.moderation.operations.common import discussion as discussion_by_id
from participate.text import accept_text
from participate.timeutil import utcnow

REASON_MAX = 64


def lock(
    actor: User,
    discussion: Discussion,
    statement: Statement | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> ThreadLock:
    """Lock the whole discussion, or one statement's thread when ``statement`` is given."""
    if not policy.can_moderate(actor, discussion):
        raise RuleError(_("You may not moderate this."), status=403)
    if statement is not None and statement.discussion_id != discussion.id:
        raise RuleError(_("That statement belongs to another discussion."), status=400)
    sid = statement.id if statement is not None else None
    existing = db.session.scalar(
        select(ThreadLock.id).where(
            ThreadLock.discussion_id == discussion.id,
            ThreadLock.statement_id.is_(None) if sid is None else ThreadLock.statement_id == sid,
        )
    )
    if existing is not None:
        raise RuleError(_("This is already locked."), status=409)
    entry = ThreadLock(
        discussion_id=discussion.id,
        statement_id=sid,
        locked_by_id=actor.id,
        reason=accept_text(reason, "reason", required=False)[:REASON_MAX],
        created_at=now or utcnow(),
    )
    try:
        with savepoint():  # two moderators locking at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("This is already locked."), status=409) from exc
    audit.record(
        actor,
        "moderation.lock",
        "statement" if sid else "discussion",
        sid or discussion.id,
        entry.reason or None,
        discussion_id=discussion.id,
    )
    return entry


def unlock(actor: User, entry: ThreadLock) -> None:
    """Lift a lock; writing is possible again at once."""
    if not policy.can_moderate(actor, discussion_by_id(entry.discussion_id)):
        raise RuleError(_("You may not moderate this."), status=403)
    audit.record(
        actor,
        "moderation.unlock",
        "statement" if entry.statement_id else "discussion",
        entry.statement_id or entry.discussion_id,
        None,
        discussion_id=entry.discussion_id,
    )
    db.session.delete(entry)
    db.session.flush()
