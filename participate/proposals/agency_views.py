"""Public pages about agencies (their list with overdue counts, and everything one agency
answers for), the staff dashboard, and the platform statistics."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_login import current_user, login_required

from participate import policy
from participate.proposals import queries
from participate.proposals.blueprint import bp, now


@bp.route("/agencies/")
def agencies() -> str:
    return render_template(
        "proposals/agencies.html",
        agencies=queries.all_agencies(),
        overdue=queries.overdue_by_agency(now()),
    )


@bp.route("/agencies/<slug>")
def agency(slug: str) -> str:
    found = queries.agency_by_slug(slug)
    if found is None:
        abort(404)
    at = now()
    return render_template(
        "proposals/agency.html", agency=found, rows=queries.agency_items(found, at), now=at
    )


@bp.route("/staff/")
@login_required
def dashboard() -> Any:
    if not policy.is_agency_staff(current_user):
        abort(403)
    at = now()
    rows = queries.agency_items(current_user.agency, at)
    return render_template(
        "proposals/dashboard.html",
        agency=current_user.agency,
        rows=rows,
        todo=queries.staff_todo(current_user, rows, at),
        now=at,
    )


@bp.route("/statistics")
def stats() -> str:
    """The same figures as ``/api/v1/statistics`` (see :func:`queries.statistics`)."""
    at = now()
    return render_template("proposals/stats.html", s=queries.statistics(at), now=at)
