"""The proposals blueprint and what its view modules share.

The pages are split by subject into ``views.py`` (list, detail, notifications, the area's
registration), ``write_views.py`` (writing, submitting, endorsing, following),
``response_views.py`` (assignment, extensions, the response, consultations) and
``agency_views.py`` (agency pages, the staff dashboard, statistics). They all register on
:data:`bp`, defined here so that none of them imports another. The template filters and
globals of the area (status labels, effective status, response clock) live here too:
they must exist before the blueprint is registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from participate import policy
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db
from participate.models import Proposal, ProposalStatus
from participate.proposals import lifecycle, queries
from participate.timeutil import utcnow

bp = Blueprint("proposals", __name__)
S = ProposalStatus


def now() -> datetime:
    """The clock of the request (frozen in tests through ``FROZEN_NOW``)."""
    return utcnow()


def get_proposal(proposal_id: int) -> Proposal:
    """The proposal or 404 (pages for moderators, who see every proposal)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def visible_proposal(proposal_id: int) -> Proposal:
    """The proposal if the current user may see it; 404 otherwise (a proposal in review
    does not exist for the public)."""
    proposal = get_proposal(proposal_id)
    if not policy.can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


def locale() -> str:
    return str(get_locale())


def agency_choices() -> list[tuple[int, str]]:
    lang = locale()
    return [(a.id, a.name(lang)) for a in queries.all_agencies()]


def rule_error(exc: RuleError, back: str) -> Response:
    """A refused one-button action: JSON for fetch() callers, else a flash and back."""
    if wants_json():
        return error_response(exc.status, exc.code or "rule", exc.message, exc.fields or None)
    flash(exc.message, "error")
    return redirect(back)


def field_error(form: Any, exc: RuleError) -> None:
    """Show a refusal next to its form field (or above the form when it has none)."""
    for name, message in exc.fields.items():
        form[name].errors = list(form[name].errors) + [message]
    if exc.fields:
        return
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
    else:
        flash(exc.message, "error")


def text_block(value: str | None) -> Markup:
    """Plain text as paragraphs with line breaks kept; everything escaped."""
    paragraphs = [p for p in (value or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = "".join(
        "<p>" + str(escape(p.strip())).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
    return Markup(html)  # noqa: S704 - every piece escaped above


# --------------------------------------------------------------------------- templates


@bp.app_template_filter("status_label")
def status_label(status: ProposalStatus) -> str:
    return str(lifecycle.STATUS_LABELS[status])


@bp.app_template_filter("proposal_status_enum")
def proposal_status_enum(value: str) -> ProposalStatus:
    return ProposalStatus(value)


@bp.app_template_global("proposal_status")
def proposal_status(proposal: Proposal) -> ProposalStatus:
    return lifecycle.effective_status(proposal, now())


@bp.app_template_global("response_clock")
def response_clock(proposal: Proposal) -> lifecycle.Clock | None:
    return lifecycle.response_clock(proposal, now())


@bp.app_template_global("proposals_text")
def proposals_text(value: str | None) -> Markup:
    return text_block(value)


@bp.app_template_global("proposals_home")
def proposals_home() -> dict[str, list[Proposal]]:
    """The home page block: proposals closing soon, and open consultations."""
    return queries.home_lists(now())
