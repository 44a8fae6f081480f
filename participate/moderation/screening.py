"""Automatic screening before content is published.

Checks, cheapest first: banned words and patterns (on normalised text: 台/臺 and other
variants, full-width letters, case; Chinese has no word boundaries, so terms match as
substrings, with separators squeezed out so 笨 蛋 or 笨.蛋 still match), exact and
near-duplicate floods across accounts, link-heavy posts, very new accounts, and
per-discussion pre-moderation. The result says publish (None), hold, or reject.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from nlp.segment import normalize
from participate.extensions import db
from participate.models import (
    BannedTerm,
    DiscussionModeration,
    RegulationComment,
    Reply,
    Role,
    Statement,
)
from participate.models.regulations import COMMENT_CONTENT_TYPE
from participate.moderation.settings import cfg
from participate.timeutil import aware, utcnow


@dataclass(frozen=True)
class ScreenRequest:
    """Content about to be published: ``kind`` is "statement", "reply", "proposal", "user"
    or "reg_comment" (a comment on a draft regulation)."""

    user: Any
    kind: str
    text: str
    discussion_id: int | None = None


@dataclass(frozen=True)
class ScreenResult:
    """``action``: "publish", "hold" (hidden until a moderator approves) or "reject"."""

    action: str
    reason: str
    message: str = ""


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_ASCII_WORD = re.compile(r"^[a-z0-9 ]+$")
FLOOD_CORPUS_LIMIT = 500


def squeeze(text: str) -> str:
    """Normalised text without spaces, punctuation, symbols and zero-width characters."""
    return "".join(
        ch for ch in normalize(text) if unicodedata.category(ch)[0] not in {"Z", "P", "S", "C"}
    )


@dataclass(frozen=True)
class Term:
    source: str
    action: str
    pattern: re.Pattern[str] | None  # regexes and ASCII words
    squeezed: str  # for Chinese substrings
    is_regex: bool = False


@lru_cache(maxsize=256)
def compile_term(term: str, is_regex: bool, action: str) -> Term | None:
    raw = term.strip()
    if raw.startswith("re:"):
        raw, is_regex = raw[3:], True
    if not raw:
        return None
    if is_regex:
        try:
            return Term(term, action, re.compile(normalize(raw)), "", True)
        except re.error:
            return None
    norm = normalize(raw)
    if _ASCII_WORD.match(norm):
        # Latin words keep word boundaries ("ass" must not match "class").
        words = r"[\W_]*".join(re.escape(w) for w in norm.split())
        pattern = re.compile(r"(?<![a-z0-9])" + words + r"(?![a-z0-9])")
        return Term(term, action, pattern, "")
    return Term(term, action, None, squeeze(norm))


def active_terms() -> list[Term]:
    terms: list[Term] = []
    for raw in re.split(r"[,\n]", str(cfg("MODERATION_BANNED_WORDS") or "")):
        found = compile_term(raw, False, "hold")
        if found:
            terms.append(found)
    for row in db.session.execute(select(BannedTerm.term, BannedTerm.is_regex, BannedTerm.action)):
        found = compile_term(row.term, row.is_regex, row.action)
        if found:
            terms.append(found)
    return terms


def banned_match(text: str, terms: list[Term] | None = None) -> Term | None:
    """The first banned term found in ``text``, rejecting terms first."""
    norm = normalize(text)
    squeezed = squeeze(text)
    hits = []
    for term in terms if terms is not None else active_terms():
        if term.pattern is not None:
            if term.pattern.search(norm) or (term.is_regex and term.pattern.search(squeezed)):
                hits.append(term)
        elif term.squeezed and term.squeezed in squeezed:
            hits.append(term)
    hits.sort(key=lambda t: t.action != "reject")
    return hits[0] if hits else None


def count_links(text: str) -> int:
    return len(_URL.findall(normalize(text)))


def _recent(kind: str, since: Any) -> list[tuple[int | None, str]]:
    if kind == "statement":
        rows = db.session.execute(
            select(Statement.author_id, Statement.text)
            .where(Statement.created_at >= since)
            .order_by(Statement.id.desc())
            .limit(FLOOD_CORPUS_LIMIT)
        )
    elif kind == COMMENT_CONTENT_TYPE:
        rows = db.session.execute(
            select(RegulationComment.author_id, RegulationComment.body)
            .where(RegulationComment.created_at >= since, RegulationComment.deleted_at.is_(None))
            .order_by(RegulationComment.id.desc())
            .limit(FLOOD_CORPUS_LIMIT)
        )
    else:
        rows = db.session.execute(
            select(Reply.author_id, Reply.body)
            .where(Reply.created_at >= since, Reply.deleted_at.is_(None))
            .order_by(Reply.id.desc())
            .limit(FLOOD_CORPUS_LIMIT)
        )
    return [(a, t or "") for a, t in rows]


def flood_check(user_id: int | None, kind: str, text: str) -> ScreenResult | None:
    """The same text (or nearly) from several accounts in the last minutes.

    Exact copies (after normalisation) from ``MODERATION_FLOOD_ACCOUNTS`` accounts are
    rejected; near-duplicates (cosine ≥ ``MODERATION_FLOOD_SIMILARITY`` by
    :func:`nlp.similar.near_duplicates`) are held for a moderator, since similar wording
    also happens honestly. Repeating one's own text within the window is rejected.
    """
    if kind not in {"statement", "reply", COMMENT_CONTENT_TYPE}:
        return None
    since = utcnow() - timedelta(minutes=int(cfg("MODERATION_FLOOD_MINUTES")))
    recent = _recent(kind, since)
    if not recent:
        return None
    mine = squeeze(text)
    needed = max(int(cfg("MODERATION_FLOOD_ACCOUNTS")) - 1, 1)
    exact_others = set()
    for author, other in recent:
        if squeeze(other) == mine and mine:
            if author == user_id:
                return ScreenResult("reject", "duplicate", _("You have just posted the same text."))
            exact_others.add(author)
    if len(exact_others) >= needed:
        return ScreenResult(
            "reject",
            "flood",
            _("The same text was just posted from several accounts; it was not published."),
        )
    from nlp.similar import near_duplicates

    texts = [t for _a, t in recent]
    matches = near_duplicates(
        text, texts, top=50, threshold=float(cfg("MODERATION_FLOOD_SIMILARITY"))
    )
    similar_others = {recent[m.index][0] for m in matches if recent[m.index][0] != user_id}
    if len(similar_others) >= needed:
        return ScreenResult(
            "hold", "flood_similar", _("Very similar text was just posted from several accounts.")
        )
    return None


def premoderated(discussion_id: int | None) -> bool:
    if discussion_id is None:
        return False
    return bool(
        db.session.scalar(
            select(DiscussionModeration.premoderation).where(
                DiscussionModeration.discussion_id == discussion_id
            )
        )
    )


def _trusted(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.role in (Role.MODERATOR, Role.ADMIN, Role.AGENCY_STAFF)
    )


HELD_MESSAGE = "Your contribution will be shown after a moderator has reviewed it."


def screen(request: ScreenRequest) -> ScreenResult | None:
    """Screen text about to be published: None to publish, else hold or reject."""
    if _trusted(request.user):
        return None
    text = request.text or ""
    if request.kind == "user":  # a display name: only the banned list applies
        term = banned_match(text)
        return ScreenResult("hold", "banned_term") if term else None
    term = banned_match(text)
    if term is not None:
        if term.action == "reject":
            return ScreenResult(
                "reject", "banned_term", _("Your text contains words this site does not allow.")
            )
        return ScreenResult("hold", "banned_term", _(HELD_MESSAGE))
    user_id = getattr(request.user, "id", None)
    flood = flood_check(user_id, request.kind, text)
    if flood is not None:
        return flood
    max_links = int(cfg("MODERATION_MAX_LINKS"))
    if max_links and count_links(text) >= max_links:
        return ScreenResult("hold", "links", _(HELD_MESSAGE))
    hours = int(cfg("MODERATION_NEW_ACCOUNT_HOURS"))
    created = aware(getattr(request.user, "created_at", None))
    if hours and created is not None and utcnow() - created < timedelta(hours=hours):
        return ScreenResult("hold", "new_account", _(HELD_MESSAGE))
    if request.kind == "statement" and premoderated(request.discussion_id):
        return ScreenResult("hold", "premoderation", _(HELD_MESSAGE))
    return None
