"""The opinion report of a discussion: page, printable view, exports, status and re-run.

Pages read the latest *succeeded* analysis row and the current statements, nothing else:
no clustering happens in a request. Routes hang under the proposal, like the discussion's
(``/proposals/<id>/discussion``), because the proposal is what people and agencies know.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from participate import policy, signals
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db, limiter
from participate.models import Analysis, AnalysisStatus, Discussion, Proposal
from participate.models.discussion import get_or_create_discussion
from participate.reports import exports, present, queries, representation, scheduler
from participate.timeutil import utcnow

bp = Blueprint("reports", __name__)

POLIS_CREDIT_URL = "https://compdemocracy.org/polis"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"
OPEN_DATA_URL = "https://github.com/compdemocracy/openData"


class ReanalyseForm(FlaskForm):
    """Only the CSRF token: the button is the whole form."""


def _write_limit() -> str:
    return current_app.config["WRITE_RATE_LIMIT"]


def _load(proposal_id: int) -> tuple[Proposal, Discussion | None]:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or not policy.can_view_report(current_user, proposal):
        abort(404)
    discussion = db.session.scalar(select(Discussion).where(Discussion.proposal_id == proposal.id))
    return proposal, discussion


def _polis_download(proposal_id: int) -> str | None:
    """The nightly open-data Pol.is export of this discussion, when one is published."""
    if "opendata.download" not in current_app.view_functions:
        return None
    from participate.opendata.build import load_manifest

    name = f"polis/proposal-{proposal_id}.zip"
    try:
        listed = {f["name"] for f in (load_manifest() or {}).get("files", [])}
    except (OSError, ValueError):
        return None
    return url_for("opendata.download", name=name) if name in listed else None


def _viewer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _context(proposal: Proposal, discussion: Discussion | None) -> dict[str, Any]:
    now = utcnow()
    staff = policy.can_see_diagnostics(current_user, proposal)
    ctx: dict[str, Any] = {
        "proposal": proposal,
        "discussion": discussion,
        "analysis": None,
        "report": None,
        "staff": staff,
        "can_reanalyse": policy.can_reanalyse(current_user, proposal),
        "can_export": policy.can_export(current_user, proposal),
        "form": ReanalyseForm(),
        "progress": None,
        "failed": None,
        "history": [],
        "worker_stale": False,
        "worker_seen": None,
        "new_votes": 0,
        "polis_import": False,
        "polis_case_study": None,
        "polis_export_url": None,
        "discussion_url": None,
        "proposal_url": None,
        "now": now,
        "representation": None,
    }
    if "discussion.show" in current_app.view_functions:
        ctx["discussion_url"] = url_for("discussion.show", proposal_id=proposal.id)
    if "proposals.show" in current_app.view_functions:
        ctx["proposal_url"] = url_for("proposals.show", proposal_id=proposal.id)
    if discussion is None:
        return ctx
    analysis = queries.latest_succeeded(discussion.id)
    ctx["analysis"] = analysis
    ctx["progress"] = queries.progress(discussion.id, now)
    if analysis is not None:
        ctx["report"] = present.build(
            present.cached_result(analysis),
            queries.visible_texts(discussion.id),
            str(get_locale()),
            viewer_id=_viewer_id(),
        )
        ctx["representation"] = representation.build(discussion.id, ctx["report"])
        current = queries.vote_count(discussion.id)
        ctx["new_votes"] = max(0, current - (analysis.vote_count or 0))
    ctx["polis_import"] = queries.is_polis_import(discussion.id)
    if ctx["polis_import"]:
        ctx["polis_case_study"] = queries.polis_case_study(discussion.id)
    ctx["polis_export_url"] = _polis_download(proposal.id)
    if staff:
        last = queries.latest_attempt(discussion.id)
        if last is not None and last.status == AnalysisStatus.FAILED:
            ctx["failed"] = last
        ctx["history"] = queries.history(discussion.id)
        ctx["worker_stale"], ctx["worker_seen"] = queries.worker_stale_since(now)
    return ctx


@bp.route("/proposals/<int:proposal_id>/report")
def show(proposal_id: int) -> str:
    proposal, discussion = _load(proposal_id)
    return render_template("reports/show.html", **_context(proposal, discussion))


@bp.route("/proposals/<int:proposal_id>/report/print")
def printable(proposal_id: int) -> str:
    proposal, discussion = _load(proposal_id)
    return render_template("reports/print.html", **_context(proposal, discussion))


@bp.route("/proposals/<int:proposal_id>/report/status.json")
def status(proposal_id: int) -> Response:
    """What the page polls while a run is in flight (cheap: three indexed reads)."""
    proposal, discussion = _load(proposal_id)
    if discussion is None:
        return jsonify({"state": "idle", "latest_id": None, "latest_version": None})
    data = queries.progress(discussion.id)
    if policy.can_see_diagnostics(current_user, proposal):
        last = queries.latest_attempt(discussion.id)
        data["last_error"] = last.error if last and last.status == AnalysisStatus.FAILED else None
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/proposals/<int:proposal_id>/report/reanalyse", methods=["POST"])
@limiter.limit(_write_limit, methods=["POST"])
def reanalyse(proposal_id: int) -> Any:
    proposal, discussion = _load(proposal_id)
    if not current_user.is_authenticated:
        return error_response(401, "login_required", _("Please log in first."))
    if not ReanalyseForm().validate_on_submit():
        return error_response(400, "invalid", _("The form was not valid; please try again."))
    try:
        outcome = scheduler.reanalyse_now(
            current_user, discussion or get_or_create_discussion(proposal)
        )
    except RuleError as exc:  # the boundary rolls back the discussion made above
        return error_response(exc.status, "forbidden", exc.message)
    if wants_json():
        return jsonify({"queued": outcome.queued, "running": outcome.running}), 202
    if outcome.running:
        flash(_("An analysis is running; it will run again with the newest votes right after."))
    else:
        flash(_("The analysis has been queued and will start in a moment."), "success")
    return redirect(url_for("reports.show", proposal_id=proposal.id))


# --- Exports ------------------------------------------------------------------------------


def _export_source(proposal_id: int) -> tuple[Proposal, Discussion, Analysis, present.Report]:
    proposal, discussion = _load(proposal_id)
    if not policy.can_export(current_user, proposal):
        abort(403)
    analysis = queries.latest_succeeded(discussion.id) if discussion else None
    if discussion is None or analysis is None:
        abort(404)
    report = present.build(
        present.cached_result(analysis),
        queries.visible_texts(discussion.id),
        str(get_locale()),
        with_map=False,
    )
    return proposal, discussion, analysis, report


@bp.route("/proposals/<int:proposal_id>/report.json")
def export_json(proposal_id: int) -> Response:
    """The report's numbers without any participant identifier."""
    proposal, discussion, analysis, report = _export_source(proposal_id)
    resp = jsonify(exports.json_document(proposal, discussion.id, analysis, report))
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="report-{proposal.id}-v{analysis.version}.json"'
    )
    return resp


@bp.route("/proposals/<int:proposal_id>/report.csv")
def export_csv(proposal_id: int) -> Response:
    proposal, _discussion, analysis, report = _export_source(proposal_id)
    return Response(
        exports.csv_text(report),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="report-{proposal.id}-v{analysis.version}.csv"'
            )
        },
    )


# --- Staff banner: the worker is down ------------------------------------------------------


def stale_banner(_sender: Any = None) -> list[dict[str, Any]]:
    """Staff see, on every page, that analyses are stale when no worker is alive and
    some discussion waits for one."""
    if not policy.is_moderator(current_user) and not policy.is_agency_staff(current_user):
        return []
    waiting = queries.oldest_waiting_request()
    if waiting is None:
        return []
    stale, seen = queries.worker_stale_since()
    if not stale:
        return []
    from participate.templating import _taipei

    if seen is None:
        text = _(
            "Opinion analyses are not being updated: no background worker has run yet "
            "(waiting since %(since)s).",
            since=_taipei(waiting),
        )
    else:
        text = _(
            "Opinion analyses are stale: the background worker was last seen at %(seen)s.",
            seen=_taipei(seen),
        )
    return [{"kind": "warning", "text": text}]


@bp.app_template_global("report_marker")
def report_marker(group_id: int | None, size: int = 14) -> Any:
    from participate.reports.svg import marker_svg

    return marker_svg(group_id, size)


@bp.app_template_global("report_zero_tally")
def report_zero_tally() -> present.Tally:
    return present.Tally(0, 0, 0)


@bp.app_template_global("shape_name")
def shape_name(kind: str) -> str:
    return present.shape_name(kind)


@bp.app_template_global("trigger_label")
def trigger_label(trigger: str | None) -> str:
    return scheduler.trigger_label(trigger)


@bp.app_template_global("status_label")
def status_label(status: AnalysisStatus) -> str:
    return {
        AnalysisStatus.QUEUED: _("queued"),
        AnalysisStatus.RUNNING: _("running"),
        AnalysisStatus.SUCCEEDED: _("succeeded"),
        AnalysisStatus.FAILED: _("failed"),
    }.get(status, str(status))


@bp.app_template_global("linked_statements_for")
def _linked_statements_for(point: Any, proposal: Proposal | None = None) -> list[Any]:
    from participate.reports.linkup import linked_statements_for

    return linked_statements_for(point, proposal)


@bp.app_template_global("statement_choices")
def _statement_choices(proposal: Proposal) -> list[Any]:
    from participate.reports.linkup import statement_choices

    return statement_choices(proposal)


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.reports import cli

    app.register_blueprint(bp)
    signals.connect(signals.banners, stale_banner)
    cli.register(app)
