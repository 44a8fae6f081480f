"""The draft regulations blueprint and what its view modules share.

The pages are split by who uses them: ``views.py`` (the list, a draft, an article, a
thread, the CSV downloads, and the area's registration), ``comment_views.py`` (writing:
comments, replies, agree/disagree, withdraw, report) and ``staff_views.py`` (the agency:
prepare, publish, the response table, the final text). They all register on :data:`bp`,
defined here so that none of them imports another; the template filters and globals of
the area live here too (they must exist before the blueprint is registered).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_login import current_user

from participate import policy
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db
from participate.models import ArticleChange, Decision, DraftStatus, RegulationDraft
from participate.proposals.lifecycle import Clock
from participate.regulations import diff, lifecycle
from participate.timeutil import utcnow

bp = Blueprint("regulations", __name__, url_prefix="/regulations")


def now() -> datetime:
    """The clock of the request (frozen in tests through ``FROZEN_NOW``)."""
    return utcnow()


def get_draft(draft_id: int) -> RegulationDraft:
    draft = db.session.get(RegulationDraft, draft_id)
    if draft is None:
        abort(404)
    return draft


def visible_draft(draft_id: int) -> RegulationDraft:
    """The draft if the current user may read it; 404 otherwise (one being prepared does
    not exist for the public)."""
    draft = get_draft(draft_id)
    if not policy.can_view_draft(current_user, draft):
        abort(404)
    return draft


def staff_draft(draft_id: int) -> RegulationDraft:
    """A draft for a staff page: 404 when unreadable, 403 for who does not act for it."""
    draft = visible_draft(draft_id)
    if not policy.acts_for_draft(current_user, draft):
        abort(403)
    return draft


def field_error(form: Any, exc: RuleError) -> None:
    """Put a refusal next to its form fields (or above the form when it has none)."""
    placed = False
    for name, message in exc.fields.items():
        target = _field(form, name)
        if target is not None:
            target.errors = [*target.errors, message]
            placed = True
    if not placed:
        target = _field(form, exc.field) if exc.field else None
        if target is not None:
            target.errors = [*target.errors, exc.message]
        else:
            flash(exc.message, "error")


def _field(form: Any, name: str) -> Any:
    """A field by its form name, sub-forms included (``rows-2-decision``)."""
    for field in form:
        if field.name == name and not hasattr(field, "entries"):
            return field
        if hasattr(field, "entries"):
            for entry in field.entries:
                for sub in getattr(entry, "form", []):
                    if sub.name == name:
                        return sub
    return None


def rule_error(exc: RuleError, back: str) -> Response:
    """A refused one-button action: JSON for fetch() callers, the error page for 403/404,
    else a note on the page the person came from."""
    if wants_json() or exc.status in (403, 404):
        code = exc.code or {403: "forbidden", 404: "not_found", 409: "conflict"}.get(
            exc.status, "invalid"
        )
        return error_response(
            exc.status, code, exc.message, {k: [v] for k, v in exc.fields.items()}
        )
    flash(exc.message, "error")
    return redirect(back)


def draft_url(draft: RegulationDraft, **kw: Any) -> str:
    return url_for("regulations.show", draft_id=draft.id, **kw)


# --------------------------------------------------------------------------- templates


@bp.app_template_filter("regulation_status_label")
def status_label(status: DraftStatus) -> str:
    return str(lifecycle.STATUS_LABELS[status])


@bp.app_template_filter("article_change_label")
def change_label(change: ArticleChange) -> str:
    return str(lifecycle.CHANGE_LABELS[change])


@bp.app_template_filter("regulation_decision_label")
def decision_label(decision: Decision | None) -> str:
    return str(lifecycle.DECISION_LABELS.get(decision, "")) if decision else ""


@bp.app_template_global("regulation_status")
def regulation_status(draft: RegulationDraft) -> DraftStatus:
    return lifecycle.effective_status(draft, now())


@bp.app_template_global("regulation_clock")
def regulation_clock(draft: RegulationDraft) -> Clock | None:
    return lifecycle.response_clock(draft, now())


@bp.app_template_global("regulation_days_left")
def regulation_days_left(draft: RegulationDraft) -> int | None:
    return lifecycle.days_left(draft, now())


@bp.app_template_global("article_diff")
def article_diff(before: str, after: str) -> list[diff.Run]:
    return diff.diff(before, after)
