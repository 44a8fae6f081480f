"""Pages for reading draft regulations (法規預告): the list, a draft with its comparison
table, one article with its comments, one comment's thread, and the CSV downloads; and
the area's registration with the app (``init_app``).

Thin: parse, read through :mod:`participate.regulations.queries`, ask
:mod:`participate.policy` what to offer, render. Writing is in ``comment_views`` (people)
and ``staff_views`` (the agency). Every page works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from participate import paging, policy, signals
from participate.extensions import db
from participate.models import DraftStatus
from participate.regulations import exports, queries
from participate.regulations.blueprint import bp, now, visible_draft
from participate.regulations.rendering import (
    comment_or_404,
    render_article,
    render_show,
    render_thread,
)
from participate.signals import NavItem

PER_PAGE = 20


def _uid() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _page() -> int:
    return paging.page_arg()  # checked at the edge, like every list's


@bp.route("/")
def index() -> str:
    at = now()
    status = request.args.get("status", "")
    agency_slug = request.args.get("agency", "")
    overdue = request.args.get("overdue") == "1"
    agency = queries.agency_by_slug(agency_slug)
    filters = queries.ListFilter(
        status=DraftStatus(status) if status in {s.value for s in queries.LIST_STATUSES} else None,
        agency_id=agency.id if agency is not None else None,
        overdue=overdue,
    )
    pagination = db.paginate(
        queries.public_list(filters, at), page=_page(), per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "regulations/index.html",
        items=pagination.items,
        counts=queries.total_comments([d.id for d in pagination.items]),
        page=pagination.page,
        pages=paging.page_count(pagination.total or 0, PER_PAGE),
        total=pagination.total,
        status=status,
        statuses=queries.LIST_STATUSES,
        agency_slug=agency_slug,
        agencies=queries.agencies_with_drafts(),
        overdue=overdue,
        preparing=queries.preparing_for(current_user.agency_id)
        if policy.can_create_draft(current_user, at)
        else [],
        can_create=policy.can_create_draft(current_user, at),
    )


@bp.route("/<int:draft_id>")
def show(draft_id: int) -> str:
    draft = visible_draft(draft_id)
    return render_show(draft)


@bp.route("/<int:draft_id>/articles/<int:article_id>")
def article(draft_id: int, article_id: int) -> Any:
    draft = visible_draft(draft_id)
    found = queries.article_of(draft, article_id)
    if found is None:
        abort(404)
    return render_article(draft, found)


@bp.route("/comments/<int:comment_id>")
def comment(comment_id: int) -> Any:
    return render_thread(comment_or_404(comment_id))


def _csv(body: bytes, name: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Type": "text/csv; charset=utf-8",
        },
    )


@bp.route("/<int:draft_id>/comments.csv")
def comments_csv(draft_id: int) -> Response:
    draft = visible_draft(draft_id)
    if not policy.can_export_comments(current_user, draft):
        abort(404)
    rows = exports.comment_rows(draft)
    return _csv(exports.to_csv(exports.COMMENT_HEADER, rows), f"regulation-{draft.id}-comments.csv")


@bp.route("/<int:draft_id>/responses.csv")
def responses_csv(draft_id: int) -> Response:
    draft = visible_draft(draft_id)
    if not policy.can_export_comments(current_user, draft) or draft.responded_at is None:
        abort(404)
    rows = exports.response_rows(draft)
    return _csv(
        exports.to_csv(exports.RESPONSE_HEADER, rows), f"regulation-{draft.id}-responses.csv"
    )


# --------------------------------------------------------------------------- registration


def navigation(_sender: Any = None) -> list[NavItem]:
    return [NavItem("regulations.index", _l("Draft regulations"), 19)]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name): the
    blueprint with the routes of every regulations view module, the navigation and the
    personal-data export."""
    from participate.regulations import (  # noqa: F401 - their routes register on bp
        comment_views,
        data,
        staff_views,
    )

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.personal_data, data.personal_data)
