"""Pages for proposals and consultations: list, detail, writing, review, endorsement,
response clock and point-by-point answers, agency pages, notifications and statistics.

Views stay thin: parse the form, call one function from :mod:`participate.proposals.operations`,
render. Permission predicates decide what is shown and are checked again by the operations.
"""

from __future__ import annotations

from datetime import datetime
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
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape
from sqlalchemy import select

from participate import policy, signals
from participate.errors import RuleError, error_response, wants_json
from participate.extensions import db, limiter
from participate.models import (
    Agency,
    ContentStatus,
    Discussion,
    Notification,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Role,
    Statement,
)
from participate.permissions import moderator_required
from participate.proposals import lifecycle, operations, queries
from participate.proposals.forms import (
    AssignForm,
    ConfirmForm,
    ConsultationForm,
    ExtendForm,
    ProposalForm,
    ReviewForm,
    lines,
    response_form,
    valid_decision,
)
from participate.proposals.notifications import NOTIFICATION_TEXT, unread_count
from participate.proposals.similar import similar_proposals
from participate.signals import NavItem
from participate.timeutil import aware, days_left, utcnow

bp = Blueprint("proposals", __name__)
S = ProposalStatus
PER_PAGE = 20

SORTS = {
    "newest": _l("Newest"),
    "endorsed": _l("Most endorsed"),
    "closing": _l("Closing soon"),
    "response_due": _l("Response due soon"),
}


# --------------------------------------------------------------------------- helpers


def _now() -> datetime:
    return utcnow()


def _get(proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    return proposal


def _visible(proposal_id: int) -> Proposal:
    proposal = _get(proposal_id)
    if not policy.can_view_proposal(current_user, proposal):
        abort(404)
    return proposal


def _agency_choices() -> list[tuple[int, str]]:
    locale = _locale()
    return [(a.id, a.name(locale)) for a in db.session.scalars(select(Agency).order_by(Agency.id))]


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def _rule_error(exc: RuleError, back: str) -> Response:
    if wants_json():
        return error_response(exc.status, "rule", exc.message, getattr(exc, "fields", None))
    flash(exc.message, "error")
    return redirect(back)


def _refused(message: str, status: int = 403) -> Response:
    return error_response(status, "forbidden" if status == 403 else "conflict", message)


def text_block(value: str | None) -> Markup:
    """Plain text as paragraphs with line breaks kept; everything escaped."""
    paragraphs = [p for p in (value or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    html = "".join(
        "<p>" + str(escape(p.strip())).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
    return Markup(html)  # noqa: S704 - every piece escaped above


@bp.app_template_filter("status_label")
def status_label(status: ProposalStatus) -> str:
    return str(lifecycle.STATUS_LABELS[status])


@bp.app_template_filter("proposal_status_enum")
def proposal_status_enum(value: str) -> ProposalStatus:
    return ProposalStatus(value)


@bp.app_template_global("proposal_status")
def proposal_status(proposal: Proposal) -> ProposalStatus:
    return lifecycle.effective_status(proposal, _now())


@bp.app_template_global("response_clock")
def response_clock(proposal: Proposal) -> lifecycle.Clock | None:
    return lifecycle.response_clock(proposal, _now())


@bp.app_template_global("proposals_text")
def _text(value: str | None) -> Markup:
    return text_block(value)


@bp.app_template_global("proposals_home")
def proposals_home() -> dict[str, list[Proposal]]:
    """The home page block: proposals closing soon, and open consultations."""
    return queries.home_lists(_now())


def _proposal_input(form: ProposalForm) -> operations.ProposalInput:
    return operations.ProposalInput(
        title=form.title.data or "",
        summary=form.summary.data or "",
        problem=form.problem.data or "",
        measures=lines(form.measures.data),
        benefits=form.benefits.data or "",
        evidence_links=lines(form.links.data),
        agency_ids=list(form.agencies.data or []),
    )


def _field_error(form: Any, exc: RuleError) -> None:
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
    else:
        flash(exc.message, "error")


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
    q = queries.public_list(filters, _now())
    page = request.args.get("page", 1, type=int)
    pagination = db.paginate(q, page=max(page, 1), per_page=PER_PAGE, error_out=False)
    return render_template(
        "proposals/index.html",
        items=pagination.items,
        page=pagination.page,
        pages=pagination.pages or 1,
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
    proposal = _visible(proposal_id)
    now = _now()
    user = current_user
    response = proposal.response
    published = response if response is not None and response.published_at else None
    points = {p.measure_id: p for p in published.points} if published else {}
    has_discussion = "discussion.show" in current_app.view_functions
    # The report link only when a discussion exists (acceptance opens it; older data may lack it).
    has_report = queries.has_discussion(proposal.id)
    return render_template(
        "proposals/show.html",
        p=proposal,
        now=now,
        status=lifecycle.effective_status(proposal, now),
        clock=lifecycle.response_clock(proposal, now),
        days=days_left(aware(proposal.deadline), now),
        threshold=current_app.config["ENDORSEMENT_THRESHOLD"],
        response=published,
        points=points,
        draft_response=response if response is not None and not response.published_at else None,
        endorsed=queries.has_endorsed(user, proposal),
        following=queries.is_following(user, proposal),
        can_endorse=policy.can_endorse(user, proposal, now),
        can_edit=policy.can_edit(user, proposal, now),
        can_submit=policy.can_submit(user, proposal, now) if user.is_authenticated else False,
        can_review=policy.can_review(user, proposal, now),
        can_assign=policy.can_assign_agencies(user, proposal, now),
        can_extend=policy.can_extend(user, proposal, now),
        can_respond=policy.can_respond(user, proposal, now),
        can_close=policy.can_close_consultation(user, proposal, now),
        can_follow=policy.can_follow(user, proposal, now),
        discussion_open=lifecycle.discussion_is_open(proposal, now),
        reaction_end=lifecycle.reaction_window_end(proposal),
        has_discussion=has_discussion,
        has_report=has_report,
        freeze=lifecycle.in_election_freeze(now),
        rejection_labels=lifecycle.REJECTION_LABELS,
        decision_labels=lifecycle.DECISION_LABELS,
        form=ConfirmForm(),
    )


@bp.route("/proposals/mine")
@login_required
def mine() -> str:
    return render_template("proposals/mine.html", items=queries.authored_by(current_user.id))


# --------------------------------------------------------------------------- writing


def _proposal_form(obj: Proposal | None = None) -> ProposalForm:
    form = ProposalForm()
    form.agencies.choices = _agency_choices()
    if obj is not None and not form.is_submitted():
        form.title.data = obj.title
        form.summary.data = obj.summary
        form.problem.data = obj.problem
        form.measures.data = "\n".join(m.text for m in obj.measures)
        form.benefits.data = obj.benefits
        form.links.data = "\n".join(obj.evidence_links or [])
        form.agencies.data = [a.id for a in obj.proposed_agencies]
    return form


def _write(proposal: Proposal | None) -> str | Response | tuple[str, int]:
    now = _now()
    form = _proposal_form(proposal)
    similar: list[Proposal] = []
    title_for_similar = form.title.data or request.args.get("title", "")
    if title_for_similar:
        similar = similar_proposals(title_for_similar, exclude_id=proposal.id if proposal else None)
    status_code = 200
    if form.is_submitted() and not form.check.data:
        if form.validate():
            submit = bool(form.submit.data)
            try:
                if proposal is None:
                    proposal = operations.create_proposal(
                        current_user, _proposal_input(form), submit, now
                    )
                else:
                    operations.update_proposal(
                        current_user, proposal, _proposal_input(form), submit, now
                    )
            except RuleError as exc:
                _field_error(form, exc)
                status_code = exc.status if exc.status != 409 else 400
            else:
                if submit:
                    flash(
                        _(
                            "Your proposal was sent for review. The moderators aim to decide "
                            "by %(date)s.",
                            date=_date(proposal.review_due_at),
                        ),
                        "success",
                    )
                else:
                    flash(_("Your draft is saved."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        else:
            status_code = 400
    return render_template(
        "proposals/form.html",
        form=form,
        proposal=proposal,
        similar=similar,
        checked=bool(form.check.data),
        freeze=lifecycle.in_election_freeze(now),
        review_days=current_app.config["REVIEW_WORKING_DAYS"],
        rejection_labels=lifecycle.REJECTION_LABELS,
    ), status_code


def _date(dt: datetime | None) -> str:
    from participate.templating import _taipei_date

    return _taipei_date(dt)


@bp.route("/proposals/new", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def new() -> Any:
    if not current_user.is_verified:
        return _refused(_("Confirm your email address before writing a proposal."))
    return _write(None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def edit(proposal_id: int) -> Any:
    proposal = _visible(proposal_id)
    if not policy.can_edit(current_user, proposal, _now()):
        abort(403)
    return _write(proposal)


@bp.route("/proposals/similar")
def similar() -> Response:
    """JSON for the form's live hint: titles of similar proposals."""
    title = (request.args.get("title") or "")[:120]
    found = similar_proposals(title) if len(title.strip()) >= 2 else []
    return jsonify(
        {
            "items": [
                {
                    "id": p.id,
                    "title": p.title,
                    "status": status_label(lifecycle.effective_status(p, _now())),
                    "url": url_for("proposals.show", proposal_id=p.id),
                }
                for p in found
            ]
        }
    )


@bp.route("/proposals/<int:proposal_id>/submit", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def submit(proposal_id: int) -> Response:
    proposal = _visible(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.submit_proposal(current_user, proposal, _now())
    except RuleError as exc:
        return _rule_error(exc, back)
    flash(
        _(
            "Your proposal was sent for review. The moderators aim to decide by %(date)s.",
            date=_date(proposal.review_due_at),
        ),
        "success",
    )
    return redirect(back)


# --------------------------------------------------------------------------- endorse, follow


@bp.route("/proposals/<int:proposal_id>/endorse", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def endorse(proposal_id: int) -> Response:
    proposal = _visible(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    try:
        result = operations.endorse(current_user, proposal.id, _now())
    except RuleError as exc:
        return _rule_error(exc, back)
    if wants_json():
        return jsonify({"count": result.count, "established": result.established})
    if result.established:
        flash(_("Thank you! With your endorsement the proposal is established."), "success")
    else:
        flash(_("Thank you for your endorsement."), "success")
    return redirect(back)


@bp.route("/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def follow(proposal_id: int) -> Response:
    proposal = _visible(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        if request.form.get("action") == "unfollow":
            operations.unfollow(current_user, proposal)
            flash(_("You no longer follow this proposal."), "success")
        else:
            operations.follow(current_user, proposal, _now())
            flash(_("You follow this proposal and will be notified of changes."), "success")
    except RuleError as exc:
        return _rule_error(exc, back)
    return redirect(back)


# --------------------------------------------------------------------------- review


@bp.route("/proposals/review")
@moderator_required
def review_queue() -> str:
    now = _now()
    items = db.session.scalars(
        select(Proposal)
        .where(Proposal.status == S.IN_REVIEW)
        .order_by(Proposal.review_due_at.asc(), Proposal.id)
    ).all()
    awaiting_assignment = queries.awaiting_assignment()
    return render_template(
        "proposals/review_queue.html", items=items, now=now, awaiting=awaiting_assignment
    )


@bp.route("/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
@moderator_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def review(proposal_id: int) -> Any:
    proposal = _get(proposal_id)
    now = _now()
    if not policy.can_review(current_user, proposal, now):
        flash(_("This proposal is not waiting for review."), "error")
        return redirect(url_for("proposals.show", proposal_id=proposal.id))
    form = ReviewForm()
    status_code = 200
    if form.is_submitted():
        if form.validate():
            try:
                if form.decision.data == "accept":
                    operations.accept_proposal(current_user, proposal, now)
                    flash(_("The proposal is open for endorsement."), "success")
                elif form.decision.data == "changes":
                    operations.request_changes(current_user, proposal, form.message.data or "", now)
                    flash(_("The author was asked for changes."), "success")
                else:
                    operations.reject_proposal(
                        current_user, proposal, form.reason.data, form.message.data or "", now
                    )
                    flash(_("The proposal was rejected."), "success")
                return redirect(url_for("proposals.review_queue"))
            except RuleError as exc:
                _field_error(form, exc)
        status_code = 400
    similar = similar_proposals(proposal.title, exclude_id=proposal.id)
    return render_template(
        "proposals/review.html", p=proposal, form=form, now=now, similar=similar
    ), status_code


@bp.route("/proposals/<int:proposal_id>/assign", methods=["GET", "POST"])
@moderator_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def assign(proposal_id: int) -> Any:
    proposal = _get(proposal_id)
    now = _now()
    if not policy.can_assign_agencies(current_user, proposal, now):
        abort(403)
    form = AssignForm()
    form.agencies.choices = _agency_choices()
    if not form.is_submitted():
        form.agencies.data = [
            a.id for a in (proposal.responsible_agencies or proposal.proposed_agencies)
        ]
    status_code = 200
    if form.is_submitted():
        if form.validate():
            try:
                operations.assign_agencies(current_user, proposal, form.agencies.data, now)
                flash(_("The responsible agencies are confirmed."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
            except RuleError as exc:
                _field_error(form, exc)
        status_code = 400
    return render_template("proposals/assign.html", p=proposal, form=form), status_code


# --------------------------------------------------------------------------- agency actions


@bp.route("/proposals/<int:proposal_id>/extend", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def extend(proposal_id: int) -> Any:
    proposal = _visible(proposal_id)
    now = _now()
    if not policy.can_extend(current_user, proposal, now):
        abort(403)
    form = ExtendForm()
    status_code = 200
    if form.is_submitted():
        if form.validate():
            try:
                operations.extend_response(
                    current_user, proposal, form.new_due.data, form.reason.data or "", now
                )
                flash(_("The new due date is published with your reason."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
            except RuleError as exc:
                _field_error(form, exc)
        status_code = 400
    return render_template(
        "proposals/extend.html",
        p=proposal,
        form=form,
        clock=lifecycle.response_clock(proposal, now),
    ), status_code


@bp.route("/proposals/<int:proposal_id>/response", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def respond(proposal_id: int) -> Any:
    proposal = _visible(proposal_id)
    now = _now()
    if not policy.can_respond(current_user, proposal, now):
        abort(403)
    measures = list(proposal.measures)
    submitted = request.method == "POST"
    form = response_form(
        measures, formdata=request.form if submitted else None, obj=proposal.response
    )
    status_code = 200
    if submitted:
        if form.validate():
            publish = bool(form.publish.data)
            points = [
                operations.PointInput(
                    measure_id=m.id,
                    decision=valid_decision(form[f"decision_{m.id}"].data),
                    reasoning=form[f"reasoning_{m.id}"].data or "",
                    responsible_unit=form[f"unit_{m.id}"].data or "",
                    follow_up_on=form[f"follow_up_{m.id}"].data,
                    linked_statement_ids=list(form[f"linked_{m.id}"].data or []),
                )
                for m in measures
            ]
            try:
                operations.save_response(
                    current_user, proposal, form.overall.data or "", points, publish, now
                )
            except RuleError as exc:
                for name, message in (getattr(exc, "fields", None) or {}).items():
                    form[name].errors = list(form[name].errors) + [message]
                if not getattr(exc, "fields", None):
                    _field_error(form, exc)
                status_code = 400
            else:
                if publish:
                    flash(_("The response is published."), "success")
                    return redirect(url_for("proposals.show", proposal_id=proposal.id))
                flash(_("Draft saved. It is not public until you publish it."), "success")
                return redirect(url_for("proposals.respond", proposal_id=proposal.id))
        else:
            status_code = 400
    choices, selected = _link_choices(proposal, form, measures)
    return render_template(
        "proposals/respond.html",
        p=proposal,
        form=form,
        measures=measures,
        link_choices=choices,
        linked=selected,
        clock=lifecycle.response_clock(proposal, now),
    ), status_code


def _link_choices(
    proposal: Proposal, form: Any, measures: list[Any]
) -> tuple[dict[int, list[Any]], dict[int, list[int]]]:
    """Per measure: the statements offered as checkboxes, and the ids ticked.

    The offer comes from the latest opinion report (built once for all points); statements a
    point already links that the report no longer features are offered too, ticked, so
    saving again does not silently drop them.
    """
    from participate.reports.linkup import LinkChoice, statement_choices

    base = statement_choices(proposal)
    offered = {c.id for c in base}
    selected: dict[int, list[int]] = {}
    for m in measures:
        raw = form[f"linked_{m.id}"].data or []
        selected[m.id] = [int(v) for v in raw if str(v).isdigit()]
    extra_ids = {i for ids in selected.values() for i in ids} - offered
    extras: dict[int, str] = {}
    discussion = db.session.scalar(
        select(Discussion.id).where(Discussion.proposal_id == proposal.id)
    )
    if extra_ids and discussion is not None:
        extras = dict(
            db.session.execute(
                select(Statement.id, Statement.text).where(
                    Statement.id.in_(extra_ids),
                    Statement.discussion_id == discussion,
                    Statement.status == ContentStatus.VISIBLE,
                )
            ).all()
        )
    choices = {
        m.id: base
        + [LinkChoice(i, extras[i], _("Linked earlier")) for i in selected[m.id] if i in extras]
        for m in measures
    }
    return choices, selected


@bp.route("/consultations/new", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def consultation_new() -> Any:
    now = _now()
    if not policy.can_open_consultation(current_user, now):
        abort(403)
    form = ConsultationForm()
    status_code = 200
    if form.is_submitted():
        if form.validate():
            data = operations.ConsultationInput(
                title=form.title.data or "",
                summary=form.summary.data or "",
                background=form.background.data or "",
                draft_text=form.draft_text.data or "",
                questions=lines(form.questions.data),
                links=lines(form.links.data),
                closes_on=form.closes_on.data,
            )
            try:
                proposal = operations.open_consultation(current_user, data, now)
            except RuleError as exc:
                _field_error(form, exc)
            else:
                flash(_("The consultation is open."), "success")
                return redirect(url_for("proposals.show", proposal_id=proposal.id))
        status_code = 400
    return render_template(
        "proposals/consultation_form.html",
        form=form,
        default_days=current_app.config["CONSULTATION_DAYS"],
    ), status_code


@bp.route("/proposals/<int:proposal_id>/close", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["WRITE_RATE_LIMIT"], methods=["POST"])
def close(proposal_id: int) -> Response:
    proposal = _visible(proposal_id)
    back = url_for("proposals.show", proposal_id=proposal.id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        operations.close_consultation(current_user, proposal, _now())
    except RuleError as exc:
        return _rule_error(exc, back)
    flash(_("The consultation is closed. You can now write the concluding response."), "success")
    return redirect(back)


# --------------------------------------------------------------------------- agencies


@bp.route("/agencies/")
def agencies() -> str:
    now = _now()
    found = db.session.scalars(select(Agency).order_by(Agency.id)).all()
    overdue = queries.overdue_by_agency(now)
    return render_template("proposals/agencies.html", agencies=found, overdue=overdue)


@bp.route("/agencies/<slug>")
def agency(slug: str) -> str:
    found = db.session.scalar(select(Agency).where(Agency.slug == slug))
    if found is None:
        abort(404)
    now = _now()
    return render_template(
        "proposals/agency.html", agency=found, rows=queries.agency_items(found, now), now=now
    )


@bp.route("/staff/")
@login_required
def dashboard() -> Any:
    if current_user.role != Role.AGENCY_STAFF or current_user.agency is None:
        abort(403)
    now = _now()
    rows = queries.agency_items(current_user.agency, now)
    todo = queries.staff_todo(current_user, rows, now)
    return render_template(
        "proposals/dashboard.html", agency=current_user.agency, rows=rows, todo=todo, now=now
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
        operations.mark_all_read(current_user, _now())
        flash(_("All notifications are marked as read."), "success")
        return redirect(url_for("proposals.notifications"))
    items = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.id.desc())
        .limit(100)
    ).all()
    return render_template(
        "proposals/notifications.html",
        items=items,
        texts=NOTIFICATION_TEXT,
        form=form,
        unread=unread_count(current_user),
    )


# --------------------------------------------------------------------------- statistics


@bp.route("/statistics")
def stats() -> str:
    now = _now()
    return render_template("proposals/stats.html", s=queries.statistics(now), now=now)


# --------------------------------------------------------------------------- hooks


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


def _review_label() -> Any:
    if not (current_user.is_authenticated and current_user.is_moderator):
        return None
    return _("Review proposals")


def _staff_label() -> Any:
    if not (current_user.is_authenticated and current_user.role == Role.AGENCY_STAFF):
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
        NavItem("proposals.review_queue", _Label(_review_label), 13),
        NavItem("proposals.dashboard", _Label(_staff_label), 14),
        NavItem("proposals.notifications", _Label(_bell_label), 15),
    ]


def init_app(app: Flask) -> None:
    """Register this area with the app (``create_app`` calls every area's, by name)."""
    from participate.proposals import cli, data

    app.register_blueprint(bp)
    signals.connect(signals.navigation, navigation)
    signals.connect(signals.banners, freeze_banner)
    signals.connect(signals.personal_data, data.export_personal_data)
    signals.connect(signals.account_deleting, data.on_account_deletion)
    cli.register(app)
