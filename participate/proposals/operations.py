"""What people do with proposals and consultations: one function per action.

Each operation, in this order: asks :mod:`participate.policy` (a "no" becomes a
:class:`~participate.errors.RuleError` with the message the person sees), writes, flushes,
records the audit entry (status changes through :func:`lifecycle.transition`, which audits
them) and queues its side effects (notification mail) in :mod:`participate.outbox`. None of
them commits or rolls back: the request, the job or the CLI command around it does
(:mod:`participate.boundary`), so the site, the API, moderation's queue decision and the
jobs all call the same functions and compose them in one transaction.

Time-based states (a lapsed endorsement, a closed consultation) are computed on read by
:func:`lifecycle.effective_status`; :func:`sweep` stores them (the periodic job), and an
operation that must move a status on from there stores it first (:func:`_store_due_status`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from participate import audit, direct_sql, outbox, policy, search
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    AgencyResponse,
    Decision,
    Follow,
    Notification,
    NotificationKind,
    Proposal,
    RejectionReason,
    ResponseExtension,
    ResponsePoint,
    User,
)
from participate.moderation.queue import open_proposal_review
from participate.proposals import content
from participate.proposals.content import ConsultationInput, PointInput, ProposalInput
from participate.proposals.endorse_sql import endorse_sql
from participate.proposals.lifecycle import (
    P,
    S,
    _at,
    cfg,
    effective_status,
    in_election_freeze,
    transition,
)
from participate.proposals.notifications import notify_followers, notify_user
from participate.text import accept_text
from participate.timeutil import aware, deadline_after, end_of_taipei_day, taipei_today, utcnow


def _require(ok: bool, message: str | None = None, status: int = 403) -> None:
    if not ok:
        raise RuleError(message or _("You do not have permission to do that."), status=status)


def _reindex(proposal: Proposal) -> None:
    """Refresh the proposal's search entry after the commit (with its statements and
    response, whose visibility and status follow the proposal's)."""
    outbox.add(search.index_proposal, proposal.id)


def _store_due_status(proposal: Proposal, now: datetime) -> bool:
    """Store a time-based change that is due (lapse, close) and notify the followers.

    Pages already show it (the status is computed on read); storing it lets the next
    transition start from the right state. Returns whether something changed.
    """
    due = effective_status(proposal, now)
    if due == proposal.status:
        return False
    transition(proposal, due, None, aware(proposal.deadline) or now, via="deadline")
    kind = NotificationKind.LAPSED if due == S.LAPSED else NotificationKind.CLOSED
    notify_followers(proposal, kind, now)
    _reindex(proposal)
    return True


def _send_to_review(author: User, proposal: Proposal, now: datetime) -> None:
    """Into review, and into the moderation queue (the one place proposals are reviewed)."""
    transition(proposal, S.IN_REVIEW, author, now)
    db.session.flush()
    open_proposal_review(proposal, now)
    _reindex(proposal)


def _require_level(user: Any, action: str) -> None:
    """The identity level ``action`` needs (policy.identity): a refusal names the missing
    step in its code ("email_required", "mobile_required"...), so pages can send the
    person there and bring them back."""
    step = policy.missing_step(user, action)
    if step is not None:
        raise RuleError(policy.step_message(step), status=403, code=f"{step}_required")


def _freeze_refusal() -> RuleError:
    return RuleError(_("No new proposals during the election freeze."), status=409)


def create_proposal(
    author: User, data: ProposalInput, submit: bool, now: datetime | None = None
) -> Proposal:
    """A citizen writes a proposal: saved as a draft, or sent straight to review."""
    now = _at(now)
    _require_level(author, "propose")
    if submit and not policy.can_propose(author, now):
        raise _freeze_refusal()
    proposal = Proposal(kind=P.PROPOSAL, status=S.DRAFT, author_id=author.id, created_at=now)
    content.apply_proposal(proposal, data)  # may refuse: nothing is in the session yet
    db.session.add(proposal)
    db.session.flush()
    audit.record(author, "proposal.create", "proposal", proposal.id)
    _follow(author.id, proposal.id)
    if submit:
        _send_to_review(author, proposal, now)
    _reindex(proposal)
    return proposal


def update_proposal(
    author: User, proposal: Proposal, data: ProposalInput, submit: bool, now: datetime | None = None
) -> Proposal:
    """The author edits a draft or a proposal sent back for changes, and may resubmit."""
    now = _at(now)
    _require(policy.can_edit(author, proposal, now))
    if submit:
        _require_level(author, "propose")
    if submit and not policy.can_submit(author, proposal, now):
        raise _freeze_refusal()
    content.apply_proposal(proposal, data)
    db.session.flush()
    audit.record(author, "proposal.edit", "proposal", proposal.id)
    if submit:
        _send_to_review(author, proposal, now)
    _reindex(proposal)
    return proposal


def submit_proposal(author: User, proposal: Proposal, now: datetime | None = None) -> None:
    """The author sends a draft (or a proposal sent back) to the moderators."""
    now = _at(now)
    _require(policy.can_edit(author, proposal, now))
    _require_level(author, "propose")
    if not policy.can_submit(author, proposal, now):
        raise _freeze_refusal()
    _send_to_review(author, proposal, now)


# --------------------------------------------------------------------------- review


def _require_moderator(user: Any, proposal: Proposal, now: datetime) -> None:
    """Moderators only (403); a wrong state is left to :func:`transition` (409)."""
    _require(policy.is_moderator(user, now) and proposal.kind == P.PROPOSAL)


def _open_discussion(proposal: Proposal) -> None:
    from participate.models.discussion import get_or_create_discussion

    get_or_create_discussion(proposal)


def accept_proposal(moderator: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Open the proposal for endorsement; the deadline starts now and its discussion opens.

    Moderation's queue decision calls this (and resolves its queue item itself)."""
    now = _at(now)
    _require_moderator(moderator, proposal, now)
    transition(proposal, S.ENDORSING, moderator, now)
    _open_discussion(proposal)
    db.session.flush()
    notify_user(proposal.author_id, proposal, NotificationKind.ACCEPTED, now)
    _reindex(proposal)


def request_changes(
    moderator: User, proposal: Proposal, message: str, now: datetime | None = None
) -> None:
    """Send the proposal back to its author with what to change."""
    now = _at(now)
    _require_moderator(moderator, proposal, now)
    message = accept_text(
        message, "message", multiline=True, empty=_l("Tell the author what to change.")
    )
    transition(proposal, S.CHANGES_REQUESTED, moderator, now)
    proposal.review_message = message
    db.session.flush()
    notify_user(proposal.author_id, proposal, NotificationKind.CHANGES_REQUESTED, now)
    _reindex(proposal)


def reject_proposal(
    moderator: User,
    proposal: Proposal,
    reason: RejectionReason | str,
    message: str = "",
    now: datetime | None = None,
) -> None:
    """Reject with one of the published exclusion reasons (and an optional explanation)."""
    now = _at(now)
    _require_moderator(moderator, proposal, now)
    try:
        reason = RejectionReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose one of the published reasons."), field="reason") from exc
    message = accept_text(message, "message", multiline=True, required=False)
    transition(proposal, S.REJECTED, moderator, now, reason=reason.value)
    proposal.rejection_reason = reason
    proposal.review_message = message or None
    db.session.flush()
    notify_user(proposal.author_id, proposal, NotificationKind.REJECTED, now)
    _reindex(proposal)


# --------------------------------------------------------------------------- endorsement


@dataclass
class EndorseResult:
    count: int
    established: bool


def _lock_proposal(proposal_id: int) -> Proposal:
    """Lock the proposal row until the transaction ends and reload it.

    PostgreSQL: ``SELECT ... FOR UPDATE``. SQLite has no row locks: a no-op UPDATE makes
    this transaction the single writer (the database write lock) before we read the count.
    """
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(Proposal)
            .where(Proposal.id == proposal_id)
            .values(endorsement_count=Proposal.endorsement_count)
            .execution_options(synchronize_session=False)
        )
    found = db.session.execute(
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise RuleError(_("We could not find that page."), status=404)
    return found


def _endorse_refusal(user: Any, proposal: Proposal, now: datetime) -> RuleError:
    """Why :func:`policy.can_endorse` said no, in the words the person needs."""
    if in_election_freeze(now):
        return RuleError(_("Endorsements are paused during the election freeze."), status=409)
    if not getattr(user, "is_verified", False):
        return RuleError(_("Confirm your email address before endorsing."), status=403)
    if proposal.status == S.ENDORSING and effective_status(proposal, now) == S.LAPSED:
        return RuleError(_("The endorsement period has ended."), status=409)
    if proposal.status != S.ENDORSING:
        return RuleError(_("This proposal is not open for endorsement."), status=409)
    step = policy.missing_step(user, "endorse")
    if step is not None:
        return RuleError(policy.step_message(step), status=403, code=f"{step}_required")
    return RuleError(_("You do not have permission to do that."), status=403)


def _already_endorsed() -> RuleError:
    return RuleError(_("You have already endorsed this proposal."), status=409)


def endorse(user: User, proposal_id: int, now: datetime | None = None) -> EndorseResult:
    """One endorsement per verified account, never withdrawn; at the threshold the
    proposal is established in the same transaction.

    The policy reads the proposal as it is; then, in this order: the endorsement is
    inserted (``INSERT ... ON CONFLICT DO NOTHING``: the unique key (proposal, user)
    decides a double, which is a plain 409), the follow too, and last the count moves in
    one ``UPDATE ... WHERE status = endorsing RETURNING`` on the proposal's row (on
    PostgreSQL the three are one statement, data-modifying CTEs: one round trip). That
    statement is the only one that waits on the row, so concurrent endorsers hold it from
    that UPDATE to their commit only, not for the whole request: the count stays exact
    (each increment sees the last committed one), the endorsement that reaches the
    threshold establishes the proposal, and any endorsement whose UPDATE comes after that
    commit finds the status changed and is refused, its row rolled back with the request.
    An endorsement after the deadline is refused without storing the lapse: the sweep
    stores it.
    """
    now = _at(now)
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise RuleError(_("We could not find that page."), status=404)
    if not policy.can_endorse(user, proposal, now):
        raise _endorse_refusal(user, proposal, now)
    connection = db.session.connection()
    sql = endorse_sql(connection.dialect.name)
    pair = {"proposal_id": proposal.id, "user_id": user.id, "now": now}
    # On the driver's cursor (``participate.direct_sql``), as the vote's statements run.
    if sql.at_once is not None:  # PostgreSQL: the three writes in one statement
        inserted, counted = direct_sql.first(connection, sql.at_once, pair)
        if not inserted:
            raise _already_endorsed()
    else:
        if direct_sql.first(connection, sql.endorse, pair) is None:
            raise _already_endorsed()
        direct_sql.run(connection, sql.follow, pair)
        row = direct_sql.first(connection, sql.count, {"proposal_id": proposal.id, "now": now})
        counted = None if row is None else row[0]
    if counted is None:  # established (or withdrawn) by a commit since the policy's read
        db.session.refresh(proposal)
        raise _endorse_refusal(user, proposal, now)
    count = int(counted)
    set_committed_value(proposal, "endorsement_count", count)
    established = _establish(proposal, now)  # not while a moderator holds the count
    if established:
        db.session.flush()
    return EndorseResult(count=count, established=established)


def _establish(proposal: Proposal, now: datetime) -> bool:
    """Establish the (locked) proposal when its count reached the threshold, unless a
    moderator holds the count pending review (the release establishes it then)."""
    if proposal.endorsement_count < cfg("ENDORSEMENT_THRESHOLD"):
        return False
    if proposal.status != S.ENDORSING or policy.count_is_held(proposal.id):
        return False
    transition(proposal, S.ESTABLISHED, None, now, count=proposal.endorsement_count)
    notify_followers(proposal, NotificationKind.ESTABLISHED, now)
    _reindex(proposal)
    return True


def establish_if_due(proposal_id: int, now: datetime | None = None) -> bool:
    """After a hold on the count is released: establish the proposal if the endorsements
    recorded meanwhile reached the threshold within its endorsement period."""
    now = _at(now)
    proposal = _lock_proposal(proposal_id)
    if effective_status(proposal, now) != S.ENDORSING:
        return False
    established = _establish(proposal, now)
    db.session.flush()
    return established


# --------------------------------------------------------------------------- follow


def _follow(user_id: int, proposal_id: int) -> None:
    """Follow once. ``INSERT ... ON CONFLICT DO NOTHING``: following twice at the same
    moment keeps the first, and the unique key's refusal never undoes the caller's other
    writes (no savepoint needed, which SQLite's driver would commit on release when it is
    the first write of the transaction)."""
    connection = db.session.connection()
    connection.execute(
        endorse_sql(connection.dialect.name).follow,
        {"proposal_id": proposal_id, "user_id": user_id, "now": utcnow()},
    )


def follow(user: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Be notified of what happens to a public proposal."""
    now = _at(now)
    _require(policy.can_follow(user, proposal, now))
    _follow(user.id, proposal.id)


def unfollow(user: User, proposal: Proposal) -> None:
    """Stop the notifications (allowed whatever the account's state: it only stops mail)."""
    _require(policy.is_authenticated(user))
    db.session.execute(
        Follow.__table__.delete().where(
            Follow.proposal_id == proposal.id, Follow.user_id == user.id
        )
    )


def mark_all_read(user: User, now: datetime | None = None) -> None:
    """Clear the bell: every unread notification of ``user`` is read now."""
    _require(policy.is_authenticated(user))
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=_at(now))
    )


# --------------------------------------------------------------------------- response


def assign_agencies(
    moderator: User, proposal: Proposal, agency_ids: Sequence[int], now: datetime | None = None
) -> None:
    """Confirm who answers; the first confirmation starts the response clock."""
    now = _at(now)
    _require(policy.can_assign_agencies(moderator, proposal, now))
    agencies = content.agencies(agency_ids)
    if not agencies:
        raise RuleError(_("Choose at least one agency."), field="agencies")
    proposal.responsible_agencies = agencies
    first = proposal.response_started_at is None
    if first:
        proposal.response_started_at = now
        proposal.response_due_at = deadline_after(now, cfg("RESPONSE_DAYS"))
    db.session.flush()
    audit.record(
        moderator,
        "proposal.assign",
        "proposal",
        proposal.id,
        agencies=[a.id for a in agencies],
        due=proposal.response_due_at.isoformat() if proposal.response_due_at else None,
    )
    if first:
        notify_followers(proposal, NotificationKind.ASSIGNED, now)
    _reindex(proposal)  # the responsible agencies are a search filter


def extend_response(
    staff: User, proposal: Proposal, new_due: date, reason: str, now: datetime | None = None
) -> ResponseExtension:
    """Move the response deadline later, publicly, with a reason (any number of times)."""
    now = _at(now)
    _require(policy.can_extend(staff, proposal, now))
    reason = accept_text(
        reason, "reason", multiline=True, empty=_l("Give the reason for the extension.")
    )
    current = aware(proposal.response_due_at)
    assert current is not None
    new_due_at = end_of_taipei_day(new_due)
    if new_due_at <= current or new_due <= taipei_today(now):
        raise RuleError(
            _("The new date must be after the current due date and in the future."),
            field="new_due",
        )
    ext = ResponseExtension(
        proposal_id=proposal.id,
        agency_id=staff.agency_id,
        actor_id=staff.id,
        reason=reason,
        previous_due_at=current,
        new_due_at=new_due_at,
        created_at=now,
    )
    db.session.add(ext)
    proposal.response_due_at = new_due_at
    db.session.flush()
    audit.record(
        staff,
        "proposal.extend",
        "proposal",
        proposal.id,
        previous=current.isoformat(),
        new=new_due_at.isoformat(),
    )
    notify_followers(proposal, NotificationKind.EXTENDED, now, due=new_due.isoformat())
    return ext


def _point_errors(
    proposal: Proposal, by_measure: dict[int, PointInput], overall: str, publish: bool
) -> tuple[dict[str, str], dict[int, list[int]]]:
    """Field errors of a response, and the cleaned statement links per measure."""
    from participate.reports.linkup import clean_linked_ids

    errors: dict[str, str] = {}
    links: dict[int, list[int]] = {}
    for mid, point in by_measure.items():
        if point.linked_statement_ids is None:
            continue
        try:
            links[mid] = clean_linked_ids(proposal, point.linked_statement_ids)
        except RuleError as exc:
            errors[f"linked_{mid}"] = exc.message
    if publish:
        if not (overall or "").strip():
            errors["overall"] = _("Write the overall answer.")
        for measure in proposal.measures:
            point = by_measure.get(measure.id)
            if point is None or not point.decision:
                errors[f"decision_{measure.id}"] = _("Choose a decision for this point.")
            if point is None or not point.reasoning.strip():
                errors[f"reasoning_{measure.id}"] = _("Explain the decision.")
    return errors, links


def save_response(
    staff: User,
    proposal: Proposal,
    overall: str,
    points: Sequence[PointInput],
    publish: bool,
    now: datetime | None = None,
    *,
    confirmed: bool = True,
) -> AgencyResponse:
    """Save the point-by-point response as a draft, or publish it.

    Publishing needs the overall answer and, for every measure, a decision and reasoning;
    and, since a published response cannot be changed, the person's confirmation (the
    form's ``confirm`` box: ``confirmed=False`` refuses with a field error on it).
    Each point may name the discussion statements it answers (checked by the report area:
    visible statements of this proposal's discussion). Problems come back as field errors
    (``linked_<measure id>`` for the statements) and the request writes nothing: not even
    the closing of the consultation stored first (the sweep stores it later).
    """
    now = _at(now)
    _store_due_status(proposal, now)
    _require(policy.can_respond(staff, proposal, now))
    measures = {m.id for m in proposal.measures}
    by_measure = {p.measure_id: p for p in points if p.measure_id in measures}
    overall, by_measure, refused = content.accept_response_text(overall, by_measure)
    errors, links = _point_errors(proposal, by_measure, overall, publish)
    errors |= refused  # a refused text is not a missing one: its own message shows
    if publish and not confirmed:
        errors["confirm"] = _("Confirm that you understand the response cannot be changed.")
    if errors:
        incomplete = any(
            n not in refused and n != "confirm" and not n.startswith("linked_") for n in errors
        )
        message = (
            _("Every point needs a decision and its reasoning.")
            if incomplete
            else next(iter(errors.values()))
        )
        raise RuleError(message, status=400, fields=errors)
    response = proposal.response
    if response is None:
        response = AgencyResponse(proposal_id=proposal.id, created_at=now)
        db.session.add(response)
        proposal.response = response
    if response.published_at is not None:
        raise RuleError(_("The response has already been published."), status=409)
    response.overall = overall
    response.author_id = staff.id
    response.agency_id = staff.agency_id or (
        proposal.owner_agency_id
        if proposal.kind == P.CONSULTATION
        else (proposal.responsible_agencies[0].id if proposal.responsible_agencies else None)
    )
    existing = {p.measure_id: p for p in response.points}
    for mid, data in by_measure.items():
        row = existing.get(mid)
        if row is None:
            row = ResponsePoint(measure_id=mid)
            response.points.append(row)
        row.decision = Decision(data.decision) if data.decision else None
        row.reasoning = data.reasoning
        row.responsible_unit = data.responsible_unit
        row.follow_up_on = data.follow_up_on
        if mid in links:
            row.linked_statement_ids = links[mid] or None
    db.session.flush()
    audit.record(
        staff,
        "response.save",
        "proposal",
        proposal.id,
        publish=publish,
        linked_statements=sorted({i for ids in links.values() for i in ids}),
    )
    if publish:
        response.published_at = now
        transition(proposal, S.RESPONDED, staff, now)
        notify_followers(proposal, NotificationKind.RESPONDED, now)
    _reindex(proposal)
    return response


# --------------------------------------------------------------------------- consultations


def open_consultation(
    staff: User, data: ConsultationInput, now: datetime | None = None
) -> Proposal:
    """An agency opens a consultation: no review, no endorsement, straight to discussion.
    The opening agency owns it (and is the first agency responsible for it)."""
    now = _at(now)
    _require(policy.can_open_consultation(staff, now))
    if data.closes_on is None:
        deadline = deadline_after(now, cfg("CONSULTATION_DAYS"))
    else:
        if data.closes_on <= taipei_today(now):
            raise RuleError(_("The closing date must be in the future."), field="closes_on")
        deadline = end_of_taipei_day(data.closes_on)
    text = content.consultation_text(data)
    proposal = Proposal(
        kind=P.CONSULTATION,
        status=S.OPEN,
        author_id=staff.id,
        owner_agency_id=staff.agency_id,
        **text,
        evidence_links=content.links(data.links),
        created_at=now,
        opened_at=now,
        deadline=deadline,
    )
    content.set_measures(
        proposal, data.questions, "questions", _l("Give at least one point, one per line.")
    )
    db.session.add(proposal)
    db.session.flush()
    proposal.responsible_agencies = [proposal.owner_agency] if proposal.owner_agency else []
    _open_discussion(proposal)
    db.session.flush()
    audit.record(staff, "proposal.open", "proposal", proposal.id, kind="consultation")
    _follow(staff.id, proposal.id)
    _reindex(proposal)
    return proposal


def close_consultation(staff: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Close a consultation before its closing date (the agency's choice, audited)."""
    now = _at(now)
    _require(policy.can_close_consultation(staff, proposal, now))
    transition(proposal, S.CLOSED, staff, now, via="early")
    notify_followers(proposal, NotificationKind.CLOSED, now)
    _reindex(proposal)


# --------------------------------------------------------------------------- the sweep


def sweep(now: datetime | None = None) -> int:
    """Store every time-based change that is due and notify the followers (the periodic
    job and ``flask proposals sweep`` call this inside their unit of work)."""
    now = _at(now)
    due = db.session.scalars(
        select(Proposal.id).where(
            Proposal.status.in_([S.ENDORSING, S.OPEN]),
            Proposal.deadline.is_not(None),
            Proposal.deadline < now,
        )
    ).all()
    changed = 0
    for proposal_id in due:
        if _store_due_status(_lock_proposal(proposal_id), now):
            changed += 1
    return changed
