"""The moderators' settings: pre-moderation of a discussion (every new statement is held
for review) and the list of banned words and patterns screening uses."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import BannedTerm, Discussion, DiscussionModeration, User
from participate.moderation.screening import compile_term
from participate.text import accept_text
from participate.timeutil import utcnow

TERM_MAX = 200


def set_premoderation(actor: User, discussion: Discussion, enabled: bool) -> None:
    """Hold every new statement of ``discussion`` for review (or stop doing so)."""
    if not policy.can_moderate(actor, discussion):
        raise RuleError(_("You may not moderate this."), status=403)
    row = db.session.get(DiscussionModeration, discussion.id)
    if row is None:
        row = DiscussionModeration(discussion_id=discussion.id)
        db.session.add(row)
    row.premoderation = bool(enabled)
    row.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "moderation.premoderation_on" if enabled else "moderation.premoderation_off",
        "discussion",
        discussion.id,
        None,
    )


def add_banned_term(
    actor: User, term: str, is_regex: bool = False, action: str = "hold"
) -> BannedTerm:
    """A word (or ``re:`` pattern) whose presence holds or rejects new content."""
    if not policy.can_manage_site(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    term = accept_text(term, "term", empty=_l("Enter a word or pattern (at most 200 characters)."))
    if len(term) > TERM_MAX:
        raise RuleError(_("Enter a word or pattern (at most 200 characters)."), field="term")
    if action not in ("hold", "reject"):
        raise RuleError(_("Choose hold or reject."), field="action")
    if compile_term(term, is_regex, action) is None:
        raise RuleError(_("This pattern is not a valid regular expression."), field="term")
    if db.session.scalar(select(BannedTerm.id).where(BannedTerm.term == term)):
        raise RuleError(_("This word is already on the list."), field="term")
    row = BannedTerm(term=term, is_regex=is_regex, action=action, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "moderation.term_add", "banned_term", row.id, None, on_match=action)
    return row


def remove_banned_term(actor: User, row: BannedTerm) -> None:
    if not policy.can_manage_site(actor):
        raise RuleError(_("You may not moderate this."), status=403)
    audit.record(actor, "moderation.term_remove", "banned_term", row.id, None)
    db.session.delete(row)
    db.session.flush()
