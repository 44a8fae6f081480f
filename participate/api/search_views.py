"""The site's search page: one form, filters, highlighted hits, plain links for pages."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from participate import paging
from participate import search as engine
from participate.extensions import db
from participate.models import Agency

bp = Blueprint("search", __name__)

KIND_LABELS = {
    "proposal": _l("Proposals"),
    "consultation": _l("Consultations"),
    "statement": _l("Statements"),
    "response": _l("Official responses"),
}
KIND_LABEL_ONE = {
    "proposal": _l("Proposal"),
    "consultation": _l("Consultation"),
    "statement": _l("Statement"),
    "response": _l("Official response"),
}
STATUS_LABELS = {
    "endorsing": _l("Collecting endorsements"),
    "established": _l("Established, awaiting response"),
    "lapsed": _l("Lapsed"),
    "responded": _l("Responded"),
    "open": _l("Consultation open"),
    "closed": _l("Closed"),
}


def parse_filters(args: dict) -> tuple[str, str | None, int | None, str | None, int, dict]:
    """Read q/kind/agency/status/page leniently: an unknown value is ignored, not an error,
    so a hand-edited URL still shows results. Returns also the errors per field for the API."""
    errors: dict[str, list[str]] = {}
    q = (args.get("q") or "").strip()[: engine.MAX_QUERY_LENGTH]
    kind = args.get("kind") or None
    if kind and kind not in engine.KINDS:
        errors["kind"] = [str(_l("Unknown kind."))]
        kind = None
    status = args.get("status") or None
    if status and status not in STATUS_LABELS:
        errors["status"] = [str(_l("Unknown status."))]
        status = None
    agency: int | None = None
    raw_agency = args.get("agency") or args.get("agency_id")
    if raw_agency:
        try:
            agency = int(raw_agency)
        except ValueError:
            errors["agency"] = [str(_l("Not a number."))]
    page = paging.page_arg()  # checked at the edge, like every route's
    return q, kind, agency, status, page, errors


@bp.route("/search")
def page() -> str:
    q, kind, agency, status, page_no, _errors = parse_filters(request.args)
    results = (
        engine.search(q, kind=kind, agency_id=agency, status=status, page=page_no) if q else None
    )
    agencies = db.session.scalars(select(Agency).order_by(Agency.id)).all()
    agency_names = {a.id: a for a in agencies}
    return render_template(
        "search/index.html",
        q=q,
        kind=kind,
        agency=agency,
        status=status,
        results=results,
        agencies=agencies,
        agency_names=agency_names,
        kind_labels=KIND_LABELS,
        kind_label_one=KIND_LABEL_ONE,
        status_labels=STATUS_LABELS,
    )
