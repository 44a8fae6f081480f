"""Refusing writes: suspended accounts and locked threads.

Two layers. ``write_guard`` is registered in ``hooks.write_guards`` for the write rules to
call first. Because those calls may not be wired everywhere yet, a ``before_app_request``
check also refuses POSTs from suspended accounts on every blueprint (except logging out,
switching language, deleting one's account and appealing) and refuses posting, replying
and voting in locked discussions. Reading is never blocked.
"""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from participate.errors import RuleError, error_response
from participate.extensions import db
from participate.models import Discussion, Reply, Role, Statement
from participate.timeutil import to_taipei

# Writes a suspended person may still make.
SUSPENSION_EXEMPT = {
    "auth.logout",
    "auth.login",
    "main.set_language",
    "account.delete",
    "moderation.appeal",
    "moderation.notices",
}
# Discussion writes stopped by a lock (reporting stays possible).
LOCKED_ENDPOINTS = {
    "discussion.post_statement",
    "discussion.post_reply",
    "discussion.vote",
    "discussion.edit_reply",
    "api.v1.vote",
    "api.v1.post_statement",
}


def suspension_message(user: Any) -> str:
    from participate.moderation.rules import PERMANENT

    until = to_taipei(user.suspended_until)
    if until is None or until.year >= PERMANENT.year:
        return _("Your account is suspended. You can read, but not post, vote or report.")
    return _(
        "Your account is suspended until %(until)s. You can read, but not post, vote or report.",
        until=until.strftime("%Y-%m-%d %H:%M"),
    )


def _lock_target(target: Any) -> tuple[int | None, int | None]:
    if isinstance(target, Discussion):
        return target.id, None
    if isinstance(target, Statement):
        return target.discussion_id, target.id
    if isinstance(target, Reply):
        row = db.session.execute(
            select(Statement.discussion_id, Statement.id).where(Statement.id == target.statement_id)
        ).first()
        return (row[0], row[1]) if row else (None, None)
    return None, None


def locked_message() -> str:
    return _("This discussion is locked by the moderators. You can read it but not write.")


def write_guard(user: Any, action: str, target: Any = None) -> None:
    """Registered in ``hooks.write_guards``: raise RuleError(403) to refuse a write."""
    if getattr(user, "is_authenticated", False) and user.is_suspended():
        raise RuleError(suspension_message(user), status=403)
    if target is not None and action not in ("report",):
        from participate.moderation.rules import find_lock

        discussion_id, statement_id = _lock_target(target)
        if find_lock(discussion_id, statement_id) is not None and not _bypasses_locks(user):
            raise RuleError(locked_message(), status=403)


def _bypasses_locks(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False) and user.role in (Role.MODERATOR, Role.ADMIN)
    )


def _statement_locked(statement_id: int) -> bool:
    """Is this statement's thread, or its whole discussion, locked?"""
    from participate.models import ThreadLock

    st = Statement.__table__
    tl = ThreadLock.__table__
    found = db.session.execute(
        select(tl.c.id)
        .join(st, st.c.discussion_id == tl.c.discussion_id)
        .where(
            st.c.id == statement_id,
            (tl.c.statement_id.is_(None)) | (tl.c.statement_id == statement_id),
        )
        .limit(1)
    ).first()
    return found is not None


def _request_target() -> Any:
    args = request.view_args or {}
    if "statement_id" in args:
        return db.session.get(Statement, args["statement_id"])
    if "reply_id" in args:
        return db.session.get(Reply, args["reply_id"])
    if "proposal_id" in args:
        return db.session.scalar(
            select(Discussion).where(Discussion.proposal_id == args["proposal_id"])
        )
    return None


def before_request() -> Response | None:
    if request.method != "POST":
        return None
    endpoint = request.endpoint or ""
    if (
        current_user.is_authenticated
        and current_user.is_suspended()
        and endpoint not in SUSPENSION_EXEMPT
    ):
        return error_response(403, "suspended", suspension_message(current_user))
    # Locks apply to API token writes too (those requests carry no session user).
    if endpoint in LOCKED_ENDPOINTS and not _bypasses_locks(current_user):
        statement_id = (request.view_args or {}).get("statement_id")
        if statement_id is not None:  # the vote hot path: one query, no objects loaded
            if _statement_locked(statement_id):
                return error_response(403, "locked", locked_message())
            return None
        target = _request_target()
        if target is not None:
            from participate.moderation.rules import find_lock

            discussion_id, statement_id = _lock_target(target)
            if find_lock(discussion_id, statement_id) is not None:
                return error_response(403, "locked", locked_message())
    return None


def banners(_sender: Any = None) -> list[dict[str, Any]]:
    """Tell a suspended person why they cannot write, and everyone that a thread is locked."""
    found: list[dict[str, Any]] = []
    try:
        if current_user.is_authenticated and current_user.is_suspended():
            found.append({"kind": "warning", "text": suspension_message(current_user)})
        if (request.endpoint or "").startswith("discussion.") and request.method == "GET":
            target = _request_target()
            if target is not None:
                from participate.moderation.rules import find_lock

                if find_lock(*_lock_target(target)) is not None:
                    found.append({"kind": "warning", "text": locked_message()})
    except RuntimeError:  # outside a request (mail templates)
        return []
    return found
