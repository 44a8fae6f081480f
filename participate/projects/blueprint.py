"""The projects blueprint and what its view modules share.

``views.py`` has the public pages (the ranked list, one project, following, questions and
answers, the area's registration), ``staff_views.py`` the agency's pages (publish, open the
deliberation, approve, report progress, complete). Both register on :data:`bp`, defined
here so neither imports the other; the area's template filters live here too (they must
exist before the blueprint is registered).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from participate.errors import RuleError, error_response, wants_json
from participate.models import Decision, Project, ProjectStatus
from participate.projects import chart, lifecycle, queries
from participate.proposals.lifecycle import DECISION_LABELS
from participate.text import render_statement
from participate.timeutil import utcnow

bp = Blueprint("projects", __name__, url_prefix="/projects")


def now() -> datetime:
    """The clock of the request (frozen in tests through ``FROZEN_NOW``)."""
    return utcnow()


def get_project(project_id: int) -> Project:
    """Every published project is public; 404 when there is no such project."""
    project = queries.get(project_id)
    if project is None:
        abort(404)
    return project


def rule_error(exc: RuleError, back: str) -> Response:
    """A refused one-button action: JSON for fetch() callers, else a flash and back."""
    if wants_json():
        return error_response(exc.status, "rule", exc.message, exc.fields or None)
    flash(exc.message, "error")
    return redirect(back)


def field_error(form: Any, exc: RuleError) -> None:
    """Show a refusal next to its form fields (or above the form when it has none)."""
    shown = False
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors = list(form[name].errors) + [message]
            shown = True
    if shown:
        return
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
    else:
        flash(exc.message, "error")


# --------------------------------------------------------------------------- templates


@bp.app_template_filter("project_status_label")
def project_status_label(status: ProjectStatus) -> str:
    return str(lifecycle.STATUS_LABELS[status])


@bp.app_template_filter("milestone_label")
def milestone_label(state: str) -> str:
    return str(lifecycle.MILESTONE_LABELS[state])


@bp.app_template_filter("county_names")
def county_names(codes: list[str]) -> str:
    names = lifecycle.county_names(codes)
    joiner = ", " if str(get_locale()).startswith("en") else "、"
    return joiner.join(names) if names else _("Nationwide")


@bp.app_template_filter("ntd")
def ntd(amount: int | None) -> str:
    """A sum in New Taiwan dollars, grouped by thousands, in the reader's language."""
    if amount is None:
        return "–"
    return _("NT$%(amount)s", amount=format_decimal(amount, format="#,##0"))


@bp.app_template_filter("figure")
def figure(value: float | None) -> str:
    """A number as people write it: no ".0" on whole numbers, grouped by thousands."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.##")


@bp.app_template_global("project_text")
def project_text(value: str | None) -> Markup:
    """Plain text people or agencies wrote, with its line breaks; links only where the
    writer marked them (:func:`participate.text.render_statement`)."""
    return Markup('<p class="text-block">') + render_statement(value or "") + Markup("</p>")


@bp.app_template_global("project_decision_label")
def project_decision_label(decision: Decision | None) -> str:
    return str(DECISION_LABELS[decision]) if decision is not None else ""


@bp.app_template_global("chart_marker")
def chart_marker(key: str) -> Markup:
    return chart.legend_marker(key)
