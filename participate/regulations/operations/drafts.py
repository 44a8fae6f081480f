"""The agency prepares a draft: its details, its comparison table (article by article
or pasted in bulk), and publishes it with its comment period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ArticleChange,
    RegulationArticle,
    RegulationDraft,
    User,
)
from participate.models.regulations import ARTICLE_TEXT_MAX_LENGTH
from participate.regulations import articles as parsing
from participate.regulations.lifecycle import (
    D,
    at,
    default_period_days,
    period_end,
    period_problem,
    response_due,
    transition,
)
from participate.regulations.operations.common import (
    clean_line,
    clean_multiline,
    preparing_only,
    require,
    require_staff,
)
from participate.text import is_blank


@dataclass
class DraftInput:
    title: str
    legal_basis: str
    unit: str
    summary: str


def _draft_fields(data: DraftInput) -> dict[str, str]:
    refused: dict[str, str] = {}
    fields = {
        "title": clean_line(
            data.title, "title", refused, required=True, empty=_l("Give the draft its title.")
        ),
        "legal_basis": clean_multiline(data.legal_basis, "legal_basis", refused),
        "unit": clean_line(data.unit, "unit", refused),
        "summary": clean_multiline(
            data.summary,
            "summary",
            refused,
            required=True,
            empty=_l("Write the general explanation of the draft."),
        ),
    }
    errors: dict[str, str] = {}
    if is_blank(fields["title"]):
        errors["title"] = _("Give the draft its title.")
    elif len(fields["title"]) > 200:
        errors["title"] = _("Use at most %(n)d characters.", n=200)
    if is_blank(fields["summary"]):
        errors["summary"] = _("Write the general explanation of the draft.")
    elif len(fields["summary"]) > ARTICLE_TEXT_MAX_LENGTH:
        errors["summary"] = _("Use at most %(n)d characters.", n=ARTICLE_TEXT_MAX_LENGTH)
    if len(fields["legal_basis"]) > 2000:
        errors["legal_basis"] = _("Use at most %(n)d characters.", n=2000)
    if len(fields["unit"]) > 120:
        errors["unit"] = _("Use at most %(n)d characters.", n=120)
    errors |= refused  # a refused text says why
    if errors:
        raise RuleError(next(iter(errors.values())), fields=errors)
    return fields


def create_draft(staff: User, data: DraftInput, now: datetime | None = None) -> RegulationDraft:
    """Agency staff start a draft for their agency; only its staff see it until published."""
    now = at(now)
    require(policy.can_create_draft(staff, now), lambda: _("Only agency staff can publish drafts."))
    draft = RegulationDraft(
        agency_id=staff.agency_id,
        author_id=staff.id,
        status=D.PREPARING,
        created_at=now,
        **_draft_fields(data),
    )
    db.session.add(draft)
    db.session.flush()
    audit.record(staff, "regulation.create", "regulation", draft.id)
    return draft


def update_draft(
    staff: User, draft: RegulationDraft, data: DraftInput, now: datetime | None = None
) -> None:
    now = at(now)
    require_staff(staff, draft, policy.can_edit_draft(staff, draft, now), preparing_only)
    for name, value in _draft_fields(data).items():
        setattr(draft, name, value)
    db.session.flush()
    audit.record(staff, "regulation.update", "regulation", draft.id)


# --------------------------------------------------------------------------- articles


@dataclass
class ArticleInput:
    label: str
    change: str
    proposed_text: str
    current_text: str
    explanation: str


def _article_fields(data: ArticleInput) -> dict[str, Any]:
    refused: dict[str, str] = {}
    fields: dict[str, Any] = {
        "label": clean_line(data.label, "label", refused),
        "proposed_text": clean_multiline(data.proposed_text, "proposed_text", refused),
        "current_text": clean_multiline(data.current_text, "current_text", refused),
        "explanation": clean_multiline(data.explanation, "explanation", refused),
    }
    errors: dict[str, str] = {}
    try:
        fields["change"] = ArticleChange(data.change)
    except ValueError:
        errors["change"] = _("Choose whether the article is new, amended or deleted.")
        fields["change"] = None
    if not fields["label"]:
        fields["label"] = parsing.label_of(fields["proposed_text"], fields["current_text"])
    if len(fields["label"]) > 40:
        errors["label"] = _("Use at most %(n)d characters.", n=40)
    for name in ("proposed_text", "current_text", "explanation"):
        if len(fields[name]) > ARTICLE_TEXT_MAX_LENGTH:
            errors[name] = _("Use at most %(n)d characters.", n=ARTICLE_TEXT_MAX_LENGTH)
    change = fields["change"]
    if change in (ArticleChange.NEW, ArticleChange.AMENDED) and not fields["proposed_text"]:
        errors["proposed_text"] = _("Write the proposed text of the article.")
    if change in (ArticleChange.AMENDED, ArticleChange.DELETED) and not fields["current_text"]:
        errors["current_text"] = _("Give the current text this article changes or deletes.")
    if change == ArticleChange.DELETED and fields["proposed_text"]:
        errors["proposed_text"] = _("A deleted article has no proposed text.")
    errors |= refused  # a refused text says why
    if errors:
        raise RuleError(next(iter(errors.values())), fields=errors)
    return fields


def _next_position(draft: RegulationDraft) -> int:
    last = db.session.scalar(
        select(func.max(RegulationArticle.position)).where(RegulationArticle.draft_id == draft.id)
    )
    return int(last or 0) + 1


def add_article(
    staff: User, draft: RegulationDraft, data: ArticleInput, now: datetime | None = None
) -> RegulationArticle:
    """One more row at the end of the comparison table."""
    now = at(now)
    require_staff(staff, draft, policy.can_edit_draft(staff, draft, now), preparing_only)
    article = RegulationArticle(
        draft_id=draft.id, position=_next_position(draft), **_article_fields(data)
    )
    db.session.add(article)
    db.session.flush()
    audit.record(staff, "regulation.article_add", "regulation", draft.id, article_id=article.id)
    return article


def update_article(
    staff: User, article: RegulationArticle, data: ArticleInput, now: datetime | None = None
) -> None:
    now = at(now)
    draft = article.draft
    require_staff(staff, draft, policy.can_edit_draft(staff, draft, now), preparing_only)
    for name, value in _article_fields(data).items():
        setattr(article, name, value)
    db.session.flush()
    audit.record(staff, "regulation.article_edit", "regulation", draft.id, article_id=article.id)


def remove_article(staff: User, article: RegulationArticle, now: datetime | None = None) -> None:
    now = at(now)
    draft = article.draft
    require_staff(staff, draft, policy.can_edit_draft(staff, draft, now), preparing_only)
    article_id = article.id
    draft.articles.remove(article)
    db.session.flush()
    audit.record(staff, "regulation.article_remove", "regulation", draft.id, article_id=article_id)


def paste_articles(
    staff: User,
    draft: RegulationDraft,
    text: str,
    replace: bool = False,
    now: datetime | None = None,
) -> list[RegulationArticle]:
    """Add the articles of a comparison table pasted in bulk (see
    :mod:`participate.regulations.articles` for the shapes read), after the existing ones
    or instead of them. All or nothing: one bad row refuses the paste, saying which."""
    now = at(now)
    require_staff(staff, draft, policy.can_edit_draft(staff, draft, now), preparing_only)
    parsed = parsing.parse(clean_multiline(text, "text"))
    if not parsed:
        raise RuleError(_("No articles were found in the pasted text."), field="text")
    if len(parsed) > parsing.MAX_ARTICLES:
        raise RuleError(
            _("Paste at most %(n)d articles at once.", n=parsing.MAX_ARTICLES), field="text"
        )
    rows = []
    for number, item in enumerate(parsed, start=1):
        try:
            rows.append(
                _article_fields(
                    ArticleInput(
                        item.label,
                        item.change.value,
                        item.proposed_text,
                        item.current_text,
                        item.explanation,
                    )
                )
            )
        except RuleError as exc:
            raise RuleError(
                _("Row %(n)d: %(problem)s", n=number, problem=exc.message), field="text"
            ) from exc
    if replace:
        draft.articles.clear()
        db.session.flush()
    start = _next_position(draft)
    added = [
        RegulationArticle(draft_id=draft.id, position=start + i, **fields)
        for i, fields in enumerate(rows)
    ]
    db.session.add_all(added)
    db.session.flush()
    audit.record(
        staff,
        "regulation.articles_paste",
        "regulation",
        draft.id,
        count=len(added),
        replace=replace,
    )
    return added


def publish_draft(
    staff: User,
    draft: RegulationDraft,
    days: int | None,
    reason: str = "",
    now: datetime | None = None,
) -> None:
    """Publish the draft for comment now: the period ends ``days`` days later (the default
    60; shorter only with a reason, which the page shows), and the response table is due
    ``REGULATION_RESPONSE_DAYS`` after that."""
    now = at(now)
    require_staff(staff, draft, policy.can_publish_draft(staff, draft, now), preparing_only)
    if not draft.articles:
        raise RuleError(_("Add at least one article to the comparison table first."), status=409)
    reason = clean_multiline(reason, "reason")
    problem = period_problem(days, reason)
    if problem is not None:
        raise RuleError(problem[1], field=problem[0])
    assert days is not None
    draft.published_at = now
    draft.period_days = days
    draft.short_period_reason = reason if days < default_period_days() else ""
    draft.comment_ends_at = period_end(now, days)
    draft.response_due_at = response_due(draft.comment_ends_at)
    transition(draft, D.OPEN, staff, now, days=days)
    db.session.flush()
