"""Pages for proposals and consultations: the public list, one proposal, "my proposals",
notifications, the moderators' list of proposals to assign, and the area's registration
with the app (``init_app``). Proposals are reviewed in the moderation queue only: the old
review addresses redirect there.

Views stay thin: parse, call one operation of :mod:`participate.proposals.operations` or a
read of :mod:`participate.proposals.queries`, render. What a page offers comes from
:mod:`participate.policy`; the operations ask it again before writing. The other pages of
the area are in ``write_views``, ``response_views`` and ``agency_views``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from participate import paging, policy, signals
from participate.extensions import db, limiter
from participate.models import ItemKind, ProposalKind
from participate.moderation.queue import open_item
from participate.permissions import moderator_required
from participate.proposals import lifecycle, operations, queries
from participate.proposals.blueprint import (
    S,
    bp,
    get_proposal,
    now,
    status_label,
    visible_proposal,
)
from participate.proposals.forms import ConfirmForm
from participate.proposals.notifications import (
    notification_html,
    notification_path,
    unread_count,
)
from participate.proposals.similar import similar_proposals
from participate.signals import NavItem
from participate.timeutil import aware, days_left

PER_PAGE = 20
SORTS = {
    "newest": _l("Newest"),
    "endorsed": _l("Most endorsed"),
    "closing": _l("Closing soon"),
    "response_due": _l("Response due soon"),
}


# --------------------------------------------------------------------------- list & show


@bp.route("/proposals/")
def index() -> str:
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    agency_slug = request.args.get("agency", "")
    sort = request.args.get("sort", "newest")
    if sort not in SORTS:
        sort = "newest"
    agency = queries.agency_by_slug(agency_slug)
    filters = queries.ListFilter(
        status=S(status) if status in {s.value for s in queries.LIST_STATUSES} else None,
        kind=ProposalKind(kind) if kind in {k.value for k in ProposalKind} else None,
        agency_id=agency.id if agency is not None else None,
        sort=sort,
    )
    page = paging.page_arg()
    pagination = db.paginate(
        queries.public_list(filters, now()), page=page, per_page=PER_PAGE, error_out=False
    )
    return render_template(
        "proposals/index.html",
        items=pagination.items,
        page=pagination.page,
        pages=paging.page_count(pagination.total or 0, PER_PAGE),
        total=pagination.total,
        status=status,
        kind=kind,
        agency_slug=agency_slug,
        agencies=queries.all_agencies(),
        sort=sort,
        sorts=SORTS,
        statuses=queries.LIST_STATUSES,
    )


@bp.route("/proposals/<int:proposal_id>")
def show(proposal_id: int) -> str:
    proposal = visible_proposal(proposal_id)
    at = now()
    user = current_user
    response = proposal.response
    published = response if response is not None and response.published_at else None
    points = {p.measure_id: p for p in published.points} if published else {}
    return render_template(
        "proposals/show.html",
        p=proposal,
        now=at,
        status=lifecycle.effective_status(proposal, at),
        clock=lifecycle.response_clock(proposal, at),
        days=days_left(aware(proposal.deadline), at),
        threshold=current_app.config["ENDORSEMENT_THRESHOLD"],
        response=published,
        points=points,
        draft_response=response if response is not None and not response.published_at else None,
        endorsed=queries.has_endorsed(user, proposal),
        following=queries.is_following(user, proposal),
        can_endorse=policy.can_endorse(user, proposal, at),
        can_edit=policy.can_edit(user, proposal, at),
        can_submit=policy.can_submit(user, proposal, at) if user.is_authenticated else False,
        can_review=policy.can_review(user, proposal, at),
        can_assign=policy.can_assign_agencies(user, proposal, at),
        can_extend=policy.can_extend(user, proposal, at),
        can_respond=policy.can_respond(user, proposal, at),
        can_close=policy.can_close_consultation(user, proposal, at),
        can_follow=policy.can_follow(user, proposal, at),
        discussion_open=lifecycle.discussion_is_open(proposal, at),
        reaction_end=lifecycle.reaction_window_end(proposal),
        # The report link only when a discussion exists (acceptance opens it).
        has_report=queries.has_discussion(proposal.id),
        freeze=lifecycle.in_election_freeze(at),
        rejection_labels=lifecycle.REJECTION_LABELS,
        decision_labels=lifecycle.DECISION_LABELS,
        form=ConfirmForm(),
    )


@bp.route("/proposals/mine")
@login_required
def mine() -> str:
    return render_template("proposals/mine.html", items=queries.authored_by(current_user.id))


@bp.route("/proposals/similar")
def similar() -> FlaskResponse:
    """JSON for the form's live hint: titles of similar proposals."""
    title = (request.args.get("title") or "")[:120]
    found = similar_proposals(title) if len(title.strip()) >= 2 else []
    at = now()
    return jsonify(
        {
            "items": [
                {
                    "id": p.id,
                    "title": p.title,
                    "status": status_label(lifecycle.effective_status(p, at)),
                    "url": url_for("proposals.show", proposal_id=p.id),
                }
                for p in found
            ]
        }
    )


# --------------------------------------------------------------------------- notifications


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def notifications() -> Any:
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        operations.mark_all_read(current_user, now())
        flash(_("All notifications are marked as read."), "success")
        return redirect(url_for("proposals.notifications"))
    return render_template(
        "proposals/notifications.html",
        items=queries.notifications_of(current_user.id),
        notification_html=notification_html,
        notification_path=notification_path,
        form=form,
        unread=unread_count(current_user),
    )


# --------------------------------------------------------------------------- review


@bp.route("/proposals/review")
def review_queue() -> FlaskResponse:
    """Proposals are reviewed in the moderation queue only; the old address leads there
    (the queue decides who may see it)."""
    return redirect(url_for("moderation.queue", kind=ItemKind.PROPOSAL.value))


@bp.route("/proposals/<int:proposal_id>/review")
@moderator_required
def review(proposal_id: int) -> FlaskResponse:
    """The proposal's open item in the moderation queue, where it is decided."""
    proposal = get_proposal(proposal_id)
    item = open_item("proposal", proposal.id, ItemKind.PROPOSAL)
    if item is None:
        flash(_("This proposal is not waiting for review."), "error")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    return redirect(url_for("moderation.item", item_id=item.id))


@bp.route("/proposals/assignments")
@moderator_required
def assignments() -> str:
    """Established proposals waiting for a moderator to confirm the responsible agencies."""
    return render_template("proposals/assignments.html", items=queries.awaiting_assignment())


# --------------------------------------------------------------------------- registration


class _Label:
    """A nav label computed per request (shown only when it applies)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self) -> Any:
        return self.fn()


def _bell_label() -> Any:
    if not current_user.is_authenticated:
        return None
    n = unread_count(current_user)
    if not n:
        return _("Notifications")
    return Markup(  # noqa: S704 - format() escapes its arguments
        '{} <span class="badge bell-count"><span aria-hidden="true">{}</span>'
        '<span class="visually-hidden">{}</span></span>'
    ).format(_("Notifications"), n, _("%(n)d unread", n=n))


def _assign_label() -> Any:
    if not policy.is_moderator(current_user):
        return None
    return _("Confirm responsible agencies")


def _staff_label() -> Any:
    if not policy.is_agency_staff(current_user):
        return None
    return _("Agency dashboard")


def freeze_banner(_sender: Any = None) -> list[dict[str, Any]]:
    if not lifecycle.in_election_freeze():
        return []
    end = current_app.config["ELECTION_FREEZE_END"]
    return [
        {
            "kind": "warning",
            "text": _(
                "Election period: new proposals and endorsements are paused until %(date)s, "
                "so that the platform is not used for campaigning.",
                date=end.isoformat(),
            ),
        }
    ]


def navigation(_sender: Any = None) -> list[NavItem]:
    return [
        NavItem("proposals.index", _l("Proposals"), 10),
        NavItem("proposals.agencies", _l("Agencies"), 11),
        NavItem("proposals.stats", _l("Statistics"), 12),
        NavItem("proposals.assignments", _Label(_assign_label), 13),
        NavItem("proposals.dashboard", _Label(_staff_label), 14),
        NavItem("proposals.notifications", _Label(_bell_label), 15),
    ]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name): the
    blueprint with the routes of every proposals view module, the navigation, the election
    banner, the personal-data export and account deletion, the CLI."""
    from participate.proposals import (  # noqa: F401 - their routes register on bp
        agency_views,
        cli,
        data,
        response_views,
        write_views,
    )

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.banners, freeze_banner)
    signals.connect(signals.personal_data, data.export_personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
    cli.register(app)
