"""Who may read and write in a discussion: statements, replies, votes, reports.

Writing needs, in this order: the discussion open (its proposal's lifecycle), a logged-in,
confirmed, unsuspended account, and no moderator's lock on the discussion or on the thread
(moderators write through locks). :func:`participation_refusal` says which of these is
missing, in words a person can act on (and as a code for JSON callers);
:func:`participation_problem` is its message and the ``can_*`` predicates its yes/no form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from participate.extensions import db
from participate.models import ContentStatus, Discussion, Reply, Statement, ThreadLock, Vote
from participate.policy.core import (
    acts_for,
    can_moderate,
    can_view_proposal,
    is_active,
    is_authenticated,
    is_moderator,
    is_verified,
)
from participate.policy.identity import missing_step, step_message
from participate.proposals.lifecycle import discussion_is_open
from participate.timeutil import aware, utcnow

EDIT_WINDOW_MINUTES = 15


def lock_on(discussion_id: int | None, statement_id: int | None = None) -> ThreadLock | None:
    """The moderators' lock on the whole discussion, else on this statement's thread."""
    if discussion_id is None:
        return None
    clauses = [ThreadLock.statement_id.is_(None)]
    if statement_id is not None:
        clauses.append(ThreadLock.statement_id == statement_id)
    return db.session.scalar(
        select(ThreadLock)
        .where(ThreadLock.discussion_id == discussion_id, or_(*clauses))
        .order_by(ThreadLock.statement_id.is_(None).desc())
        .limit(1)
    )


def locked_message() -> str:
    return _("This discussion is locked by the moderators. You can read it but not write.")


def suspended_message() -> str:
    return _("Your account is suspended; you cannot take part right now.")


@dataclass(frozen=True)
class Refusal:
    """Why someone may not write: ``code`` for JSON callers and for the page to choose how
    to answer ("closed", "login_required", "unverified", "suspended", "locked"), ``message``
    for the person, ``status`` for HTTP (401 asks to log in, 403 refuses)."""

    code: str
    message: str
    status: int = 403


def level_refusal(user: Any, action: str) -> Refusal | None:
    """The identity level ``action`` needs (policy.identity), above a confirmed email: the
    refusal's code names the missing step ("mobile_required", "gov_required")."""
    step = missing_step(user, action)
    if step is None or step in ("login", "email"):
        return None
    return Refusal(f"{step}_required", step_message(step))


def account_refusal(
    user: Any, now: datetime | None = None, action: str = "comment"
) -> Refusal | None:
    """The account's half of :func:`participation_refusal`: logged in, confirmed, not
    suspended (or deleted), with the identity level ``action`` needs."""
    if not is_authenticated(user):
        return Refusal("login_required", _("Log in to take part in the discussion."), 401)
    if not user.is_verified:
        return Refusal(
            "unverified", _("Confirm your email address to take part in the discussion.")
        )
    if user.is_suspended(now or utcnow()) or user.deleted_at is not None:
        return Refusal("suspended", suspended_message())
    return level_refusal(user, action)


def participation_refusal(
    user: Any,
    discussion: Discussion,
    now: datetime | None = None,
    statement_id: int | None = None,
    *,
    locked: bool | None = None,
    action: str = "comment",
) -> Refusal | None:
    """Why ``user`` may not write in ``discussion`` (or in one statement's thread) now, or
    None when they may. One reason, the first of: closed, account (see
    :func:`account_refusal`), a moderators' lock (moderators write through locks). At most
    one query (the lock); none when the caller read the lock with its own data (``locked``,
    the vote's one query: ``discussion.queries.vote_context``)."""
    now = now or utcnow()
    if not discussion_is_open(discussion.proposal, now):
        return Refusal("closed", _("This discussion is closed. You can still read it."))
    refusal = account_refusal(user, now, action)
    if refusal is not None:
        return refusal
    if is_moderator(user, now):
        return None
    if locked is None:
        locked = lock_on(discussion.id, statement_id) is not None
    if locked:
        return Refusal("locked", locked_message())
    return None


def participation_problem(
    user: Any,
    discussion: Discussion,
    now: datetime | None = None,
    statement_id: int | None = None,
    locked: bool | None = None,
) -> str | None:
    """:func:`participation_refusal`'s message: what the page tells the person (``locked``
    when the page read the lock already, for its note)."""
    refusal = participation_refusal(user, discussion, now, statement_id, locked=locked)
    return refusal.message if refusal is not None else None


def can_post_statement(user: Any, discussion: Discussion, now: datetime | None = None) -> bool:
    return participation_problem(user, discussion, now) is None


def can_vote(user: Any, statement: Statement, now: datetime | None = None) -> bool:
    return (
        statement.status == ContentStatus.VISIBLE
        and participation_refusal(user, statement.discussion, now, statement.id, action="vote")
        is None
    )


def can_reply(user: Any, statement: Statement, now: datetime | None = None) -> bool:
    return (
        statement.status == ContentStatus.VISIBLE
        and participation_problem(user, statement.discussion, now, statement.id) is None
    )


def can_add_seed(user: Any, discussion: Discussion, now: datetime | None = None) -> bool:
    """Seed statements (shown first) come from moderators and the responsible agencies."""
    return is_moderator(user, now) or acts_for(user, discussion.proposal, now)


def is_own_fresh_reply(user: Any, reply: Reply, now: datetime | None = None) -> bool:
    """The author's own visible reply, younger than the edit window: the half of
    :func:`can_edit_reply` a page can ask for every reply without a query."""
    now = now or utcnow()
    if not isinstance(reply, Reply) or not is_authenticated(user) or reply.author_id != user.id:
        return False
    if reply.is_deleted or reply.status != ContentStatus.VISIBLE:
        return False
    created = aware(reply.created_at)
    return created is not None and (now - created).total_seconds() <= EDIT_WINDOW_MINUTES * 60


def can_edit_reply(user: Any, reply: Reply, now: datetime | None = None) -> bool:
    """Authors may edit a reply within 15 minutes, in a thread they may still write in;
    statements are never edited (votes on them would silently change meaning)."""
    if not is_own_fresh_reply(user, reply, now):
        return False
    statement = reply.statement
    return participation_problem(user, statement.discussion, now, statement.id) is None


def votes_by_others(statement: Statement, user_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Vote)
            .where(Vote.statement_id == statement.id, Vote.participant_id != user_id)
        )
        or 0
    )


def can_delete(user: Any, item: Statement | Reply) -> bool:
    """Authors may delete their reply; a statement only while nobody else has voted on it.
    Not while suspended: what a suspension is about stays for the moderators to see."""
    if not is_active(user) or item.author_id != user.id:
        return False
    if isinstance(item, Reply):
        return not item.is_deleted
    return item.status == ContentStatus.VISIBLE and votes_by_others(item, user.id) == 0


def can_report(user: Any, now: datetime | None = None) -> bool:
    """Flag a statement or reply: confirmed, unsuspended accounts (locks do not stop it)."""
    return is_verified(user, now)


def can_view_statement(user: Any, statement: Statement) -> bool:
    """Visible statements of readable proposals; hidden ones only to who moderates them."""
    discussion = statement.discussion
    if not can_view_proposal(user, discussion.proposal):
        return False
    return statement.status == ContentStatus.VISIBLE or can_moderate(user, discussion)
