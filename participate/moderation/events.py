"""Moderation that works without the writers' cooperation: SQLAlchemy session listeners.

- New statements and replies written during a request by the logged-in author are
  screened before they are inserted: "reject" raises the RuleError the discussion views
  already handle (the form comes back with the message next to the field, nothing
  written); "hold" inserts them HIDDEN and opens a queue item.
- New reports update the report item of their content and hide it at the threshold, in
  the reporter's own transaction.
- A proposal entering review gets a queue item; leaving review (from the proposals area's
  own review page) resolves it.
- A new account whose display name contains a banned word is flagged.

When the writers call ``hooks.screen`` themselves, the result is remembered for the
request (``g``) so the listener does not screen twice.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, has_request_context, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from participate.errors import RuleError
from participate.models import (
    ContentStatus,
    ItemKind,
    ItemState,
    ModerationItem,
    Proposal,
    ProposalStatus,
    Reply,
    Report,
    Statement,
    User,
)
from participate.moderation.screening import ScreenRequest, ScreenResult
from participate.timeutil import utcnow

_INSTALLED = False
_DECISION_FOR = {
    ProposalStatus.ENDORSING: "approve",
    ProposalStatus.CHANGES_REQUESTED: "request_edit",
    ProposalStatus.REJECTED: "reject",
}


def _screen_key(kind: str, text: str) -> str:
    return f"{kind}:{hash(text)}"


def remember(kind: str, text: str, result: ScreenResult | None) -> None:
    """Record an explicit screening so the flush listener reuses it."""
    if has_request_context():
        g.setdefault("moderation_screened", {})[_screen_key(kind, text)] = result


# Requests whose new or edited statements and replies are screened: the site's forms and
# the API. Imports, seeders and the CLI write outside these and are not screened.
SCREENED_ENDPOINTS = {
    "discussion.post_statement",
    "discussion.post_reply",
    "discussion.edit_reply",
    "api.v1.post_statement",
}


def _screened_author(session: Session, obj: Any) -> Any:
    """The author to screen for, when this write comes from a participant's request."""
    if not has_request_context() or request.endpoint not in SCREENED_ENDPOINTS:
        return None
    if obj.author_id is None:
        return None
    user = current_user._get_current_object() if current_user else None
    if getattr(user, "is_authenticated", False) and user.id == obj.author_id:
        return user
    with session.no_autoflush:
        return session.get(User, obj.author_id)


def _discussion_id(session: Session, obj: Statement | Reply) -> int | None:
    if isinstance(obj, Statement):
        return obj.discussion_id
    statement = (
        obj.statement if obj.statement is not None else session.get(Statement, obj.statement_id)
    )
    return statement.discussion_id if statement is not None else None


def _screen_new(session: Session, obj: Statement | Reply) -> None:
    from participate.moderation.screening import screen

    user = _screened_author(session, obj)
    if user is None:
        return
    kind = "statement" if isinstance(obj, Statement) else "reply"
    text = obj.text if isinstance(obj, Statement) else obj.body
    cache = g.get("moderation_screened", {})
    key = _screen_key(kind, text or "")
    if key in cache:
        result = cache[key]
    else:
        with session.no_autoflush:
            result = screen(ScreenRequest(user, kind, text or "", _discussion_id(session, obj)))
    if result is None or result.action == "publish":
        return
    if result.action == "reject":
        raise RuleError(
            result.message or _("This cannot be published."),
            field="text" if kind == "statement" else "body",
            # A repeat or a flood conflicts with what was just posted; a banned word is bad input.
            status=409 if result.reason in ("duplicate", "flood") else 400,
        )
    obj.status = ContentStatus.HIDDEN
    session.info.setdefault("moderation_held", []).append((obj, kind, result.reason))


def _before_flush(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.new):
        if isinstance(obj, Statement | Reply):
            _screen_new(session, obj)
        elif isinstance(obj, Report):
            session.info.setdefault("moderation_reports", []).append(obj)
        elif isinstance(obj, User):
            session.info.setdefault("moderation_users", []).append(obj)
    for obj in list(session.dirty):
        if isinstance(obj, Reply) and inspect(obj).attrs.body.history.has_changes():
            if obj.body and obj.status == ContentStatus.VISIBLE:
                _screen_new(session, obj)
        if isinstance(obj, Proposal):
            history = inspect(obj).attrs.status.history
            if history.has_changes():
                session.info.setdefault("moderation_proposals", []).append(
                    (obj, history.deleted[0] if history.deleted else None)
                )
    for obj in list(session.new):
        if isinstance(obj, Proposal) and obj.status == ProposalStatus.IN_REVIEW:
            session.info.setdefault("moderation_proposals", []).append((obj, None))


def _after_flush_postexec(session: Session, flush_context: Any) -> None:
    held = session.info.pop("moderation_held", [])
    reports = session.info.pop("moderation_reports", [])
    users = session.info.pop("moderation_users", [])
    proposals = session.info.pop("moderation_proposals", [])
    if not (held or reports or users or proposals):
        return
    from participate.moderation import rules
    from participate.moderation.screening import banned_match

    now = utcnow()
    for obj, kind, reason in held:
        rules.ensure_item(ItemKind.HELD, obj, kind, reason, now)
        rules.flag_new_account(obj.author_id, reason, now)
        if has_request_context():
            flash(_("Your contribution will be shown after a moderator has reviewed it."), "info")
    seen: set[tuple[str, int]] = set()
    for report in reports:
        key = (report.content_type, report.content_id)
        if key not in seen:
            seen.add(key)
            rules.sync_reports(*key, now=now)
    for user in users:
        if user.display_name and banned_match(user.display_name) is not None:
            rules.ensure_item(ItemKind.ACCOUNT, user, "user", "banned_term", now)
    for proposal, before in proposals:
        if proposal.status == ProposalStatus.IN_REVIEW:
            rules.ensure_item(ItemKind.PROPOSAL, proposal, "proposal", "proposal_review", now)
            _screen_proposal(proposal)
        elif before == ProposalStatus.IN_REVIEW:
            item = rules.open_item("proposal", proposal.id, ItemKind.PROPOSAL)
            if item is not None:
                item.state = ItemState.RESOLVED
                item.decision = _DECISION_FOR.get(proposal.status, proposal.status.value)
                item.decided_by_id = proposal.reviewer_id
                item.decided_at = now


def _screen_proposal(proposal: Proposal) -> None:
    """Proposals are reviewed anyway; screening flags go on the queue item to guide it."""
    from participate.moderation.screening import banned_match, count_links

    item = next(
        (
            o
            for o in Session.object_session(proposal).new  # type: ignore[union-attr]
            if isinstance(o, ModerationItem) and o.content_id == proposal.id
        ),
        None,
    )
    if item is None:
        return
    text = "\n".join([proposal.title or "", proposal.summary or "", proposal.problem or ""])
    flags = []
    if banned_match(text) is not None:
        flags.append("banned_term")
    if count_links(text) >= 5:
        flags.append("links")
    if flags:
        item.detail = {**(item.detail or {}), "flags": flags}
        item.priority = (item.priority or 0) + 15


def install() -> None:
    global _INSTALLED
    if _INSTALLED:
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush_postexec", _after_flush_postexec)
    _INSTALLED = True
