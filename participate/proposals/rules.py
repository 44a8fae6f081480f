"""Proposal lifecycle rules as plain functions (owned by the proposals area).

- Named permission predicates (``can_endorse(user, proposal, now)``...) that views call to
  decide what to show, and that every action function calls again before writing.
- One function per user action (submit, accept, endorse, extend, publish a response...):
  it checks the rule, writes in one transaction, records the audit entry and commits.
- :func:`transition` is the only place a status changes; ``ALLOWED`` lists every edge.
- Time-based states (a lapsed endorsement, a closed consultation) are computed on read by
  :func:`effective_status`, so pages are right even when the periodic task has not run;
  :func:`sync_status` persists them (the task, and every write that touches a proposal).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlparse

from flask_babel import gettext as _
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from participate import audit
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    Agency,
    AgencyResponse,
    Decision,
    Endorsement,
    Follow,
    Notification,
    NotificationKind,
    Proposal,
    ProposalMeasure,
    RejectionReason,
    ResponseExtension,
    ResponsePoint,
    User,
)
from participate.policy import (  # noqa: F401 - re-exported for callers
    can_assign_agencies,
    can_close_consultation,
    can_edit,
    can_endorse,
    can_extend,
    can_follow,
    can_open_consultation,
    can_propose,
    can_respond,
    can_review,
    can_submit,
    is_active,
)
from participate.proposals.lifecycle import (  # noqa: F401 - re-exported for callers
    ALLOWED,
    DECISION_LABELS,
    MAX_MEASURES,
    OPEN_FOR_DISCUSSION,
    PUBLIC_STATUSES,
    REJECTION_LABELS,
    STATUS_LABELS,
    Clock,
    P,
    S,
    _at,
    cfg,
    discussion_is_open,
    effective_status,
    in_election_freeze,
    reaction_window_end,
    response_clock,
    status_clause,
    transition,
)
from participate.timeutil import (
    aware,
    deadline_after,
    end_of_taipei_day,
    taipei_today,
    utcnow,
)


def sync_status(proposal: Proposal, now: datetime | None = None) -> bool:
    """Store a time-based change that is due (lapse, close) and notify followers.

    Returns whether something changed; the caller commits.
    """
    now = _at(now)
    due = effective_status(proposal, now)
    if due == proposal.status:
        return False
    deadline = aware(proposal.deadline)
    transition(proposal, due, None, deadline or now, via="deadline")
    kind = NotificationKind.LAPSED if due == S.LAPSED else NotificationKind.CLOSED
    notify_followers(proposal, kind, now)
    return True


# --------------------------------------------------------------------------- predicates


def _require(ok: bool, message: str | None = None, status: int = 403) -> None:
    if not ok:
        raise RuleError(message or _("You do not have permission to do that."), status=status)


# --------------------------------------------------------------------------- content


@dataclass
class ProposalInput:
    title: str
    summary: str
    problem: str
    measures: list[str]
    benefits: str
    evidence_links: list[str]
    agency_ids: list[int]


def _agencies(ids: Iterable[int]) -> list[Agency]:
    ids = list(dict.fromkeys(ids))
    if len(ids) > cfg("MAX_PROPOSAL_AGENCIES"):
        raise RuleError(
            _("Choose at most %(n)d agencies.", n=cfg("MAX_PROPOSAL_AGENCIES")), field="agencies"
        )
    found = list(db.session.scalars(select(Agency).where(Agency.id.in_(ids)))) if ids else []
    if len(found) != len(ids):
        raise RuleError(_("Choose agencies from the list."), field="agencies")
    return sorted(found, key=lambda a: a.id)


def _links(items: Iterable[str]) -> list[str]:
    """Only http(s) links are stored: they become ``href``s on a public page."""
    out = []
    for item in items:
        item = item.strip()
        parsed = urlparse(item)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or len(item) > 500:
            raise RuleError(_("Links must be web addresses starting with https://"), field="links")
        out.append(item)
    return out


def _set_measures(proposal: Proposal, texts: Sequence[str]) -> None:
    texts = [t.strip() for t in texts if t.strip()]
    if not texts:
        raise RuleError(_("Give at least one suggested measure."), field="measures")
    if len(texts) > MAX_MEASURES:
        raise RuleError(_("Give at most %(n)d points.", n=MAX_MEASURES), field="measures")
    current = list(proposal.measures)
    for i, text in enumerate(texts):
        if i < len(current):
            current[i].text = text
        else:
            proposal.measures.append(ProposalMeasure(position=i + 1, text=text))
    for extra in current[len(texts) :]:
        proposal.measures.remove(extra)


def _apply(proposal: Proposal, data: ProposalInput) -> None:
    proposal.title = data.title.strip()
    proposal.summary = data.summary.strip()
    proposal.problem = data.problem.strip()
    proposal.benefits = data.benefits.strip()
    proposal.evidence_links = _links(data.evidence_links)
    proposal.proposed_agencies = _agencies(data.agency_ids)
    _set_measures(proposal, data.measures)


def create_proposal(
    author: User, data: ProposalInput, submit: bool, now: datetime | None = None
) -> Proposal:
    """A citizen writes a proposal: saved as a draft, or sent straight to review."""
    now = _at(now)
    _require(is_active(author, now) and author.is_verified, _("Confirm your email address first."))
    if submit:
        _require(
            not in_election_freeze(now), _("No new proposals during the election freeze."), 409
        )
    proposal = Proposal(kind=P.PROPOSAL, status=S.DRAFT, author_id=author.id, created_at=now)
    db.session.add(proposal)
    _apply(proposal, data)
    db.session.flush()
    audit.record(author, "proposal.create", "proposal", proposal.id)
    _follow(author.id, proposal.id)
    if submit:
        transition(proposal, S.IN_REVIEW, author, now)
    _commit()
    return proposal


def update_proposal(
    author: User, proposal: Proposal, data: ProposalInput, submit: bool, now: datetime | None = None
) -> Proposal:
    """The author edits a draft or a proposal sent back for changes, and may resubmit."""
    now = _at(now)
    _require(can_edit(author, proposal, now))
    if submit:
        _require(
            can_submit(author, proposal, now),
            _("No new proposals during the election freeze."),
            409,
        )
    _apply(proposal, data)
    audit.record(author, "proposal.edit", "proposal", proposal.id)
    if submit:
        transition(proposal, S.IN_REVIEW, author, now)
    _commit()
    return proposal


def submit_proposal(author: User, proposal: Proposal, now: datetime | None = None) -> None:
    now = _at(now)
    _require(can_edit(author, proposal, now))
    _require(
        can_submit(author, proposal, now), _("No new proposals during the election freeze."), 409
    )
    transition(proposal, S.IN_REVIEW, author, now)
    _commit()


# --------------------------------------------------------------------------- review


def _require_moderator(user: Any, proposal: Proposal, now: datetime) -> None:
    """Moderators only; a wrong state is left to :func:`transition` (409, not 403)."""
    _require(is_active(user, now) and user.is_moderator and proposal.kind == P.PROPOSAL)


def _open_discussion(proposal: Proposal) -> None:
    from participate.models.discussion import get_or_create_discussion

    get_or_create_discussion(proposal)


def accept_proposal(moderator: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Open the proposal for endorsement; the deadline starts now and its discussion opens."""
    now = _at(now)
    _require_moderator(moderator, proposal, now)
    transition(proposal, S.ENDORSING, moderator, now)
    _open_discussion(proposal)
    notify_user(proposal.author_id, proposal, NotificationKind.ACCEPTED, now)
    _commit()


def request_changes(
    moderator: User, proposal: Proposal, message: str, now: datetime | None = None
) -> None:
    now = _at(now)
    _require_moderator(moderator, proposal, now)
    message = (message or "").strip()
    if not message:
        raise RuleError(_("Tell the author what to change."), field="message")
    transition(proposal, S.CHANGES_REQUESTED, moderator, now)
    proposal.review_message = message
    notify_user(proposal.author_id, proposal, NotificationKind.CHANGES_REQUESTED, now)
    _commit()


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
    transition(proposal, S.REJECTED, moderator, now, reason=reason.value)
    proposal.rejection_reason = reason
    proposal.review_message = (message or "").strip() or None
    notify_user(proposal.author_id, proposal, NotificationKind.REJECTED, now)
    _commit()


# --------------------------------------------------------------------------- endorsement


@dataclass
class EndorseResult:
    count: int
    established: bool


def _lock_proposal(proposal_id: int) -> Proposal:
    """Lock the proposal row for the rest of the transaction and reload it.

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


def endorse(user: User, proposal_id: int, now: datetime | None = None) -> EndorseResult:
    """One endorsement per verified account, never withdrawn; at the threshold the
    proposal is established in the same transaction. The row lock keeps the count exact
    under concurrent requests; the unique constraint is the second wall."""
    now = _at(now)
    proposal = _lock_proposal(proposal_id)
    if sync_status(proposal, now):
        _commit()
        raise RuleError(_("The endorsement period has ended."), status=409)
    if not can_endorse(user, proposal, now):
        db.session.rollback()
        if in_election_freeze(now):
            raise RuleError(_("Endorsements are paused during the election freeze."), status=409)
        if not getattr(user, "is_verified", False):
            raise RuleError(_("Confirm your email address before endorsing."), status=403)
        if proposal.status != S.ENDORSING:
            raise RuleError(_("This proposal is not open for endorsement."), status=409)
        raise RuleError(_("You do not have permission to do that."), status=403)
    already = db.session.scalar(
        select(Endorsement.id).where(
            Endorsement.proposal_id == proposal.id, Endorsement.user_id == user.id
        )
    )
    if already is not None:
        db.session.rollback()
        raise RuleError(_("You have already endorsed this proposal."), status=409)
    db.session.add(Endorsement(proposal_id=proposal.id, user_id=user.id, created_at=now))
    proposal.endorsement_count = (proposal.endorsement_count or 0) + 1
    _follow(user.id, proposal.id)
    established = False
    if proposal.endorsement_count >= cfg("ENDORSEMENT_THRESHOLD"):
        transition(proposal, S.ESTABLISHED, None, now, count=proposal.endorsement_count)
        notify_followers(proposal, NotificationKind.ESTABLISHED, now)
        established = True
    try:
        _commit()
    except IntegrityError as exc:  # a second wall; the lock should make this unreachable
        db.session.rollback()
        raise RuleError(_("You have already endorsed this proposal."), status=409) from exc
    return EndorseResult(count=proposal.endorsement_count, established=established)


def has_endorsed(user: Any, proposal: Proposal) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Endorsement.id).where(
                Endorsement.proposal_id == proposal.id, Endorsement.user_id == user.id
            )
        )
        is not None
    )


# --------------------------------------------------------------------------- follow


def _follow(user_id: int, proposal_id: int) -> None:
    exists = db.session.scalar(
        select(Follow.id).where(Follow.proposal_id == proposal_id, Follow.user_id == user_id)
    )
    if exists is None:
        db.session.add(Follow(proposal_id=proposal_id, user_id=user_id))


def is_following(user: Any, proposal: Proposal) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        db.session.scalar(
            select(Follow.id).where(Follow.proposal_id == proposal.id, Follow.user_id == user.id)
        )
        is not None
    )


def follow(user: User, proposal: Proposal, now: datetime | None = None) -> None:
    now = _at(now)
    _require(can_follow(user, proposal, now))
    _follow(user.id, proposal.id)
    try:
        _commit()
    except IntegrityError:  # followed twice at once: the first one stands
        db.session.rollback()


def unfollow(user: User, proposal: Proposal) -> None:
    db.session.execute(
        Follow.__table__.delete().where(
            Follow.proposal_id == proposal.id, Follow.user_id == user.id
        )
    )
    _commit()


# --------------------------------------------------------------------------- notifications


def notify_user(
    user_id: int | None, proposal: Proposal, kind: NotificationKind, now: datetime, **detail: Any
) -> None:
    if user_id is None:
        return
    db.session.add(
        Notification(
            user_id=user_id, proposal_id=proposal.id, kind=kind, created_at=now, detail=detail
        )
    )
    _queue_delivery()


def notify_followers(
    proposal: Proposal, kind: NotificationKind, now: datetime, **detail: Any
) -> None:
    """One in-app notification per follower, inserted in bulk inside the caller's
    transaction; mail goes out after the commit (see :mod:`participate.proposals.tasks`)."""
    db.session.flush()
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "proposal_id", "kind", "detail", "created_at"],
            select(
                Follow.user_id,
                Follow.proposal_id,
                db.literal(kind.value),
                db.literal(detail, type_=Notification.__table__.c.detail.type),
                db.literal(now, type_=Notification.__table__.c.created_at.type),
            ).where(Follow.proposal_id == proposal.id),
        )
    )
    _queue_delivery()


def _queue_delivery() -> None:
    """Remember that mail is due; :func:`_commit` hands it to the queue after the commit."""
    db.session.info["proposals_mail_due"] = True


def _commit() -> None:
    """Commit, then (never before: the job must see the rows) queue the notification mail."""
    db.session.commit()
    if db.session.info.pop("proposals_mail_due", False):
        from participate.proposals.tasks import deliver_notifications

        deliver_notifications()


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def mark_all_read(user: User, now: datetime | None = None) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    _commit()


# --------------------------------------------------------------------------- response


def assign_agencies(
    moderator: User, proposal: Proposal, agency_ids: Sequence[int], now: datetime | None = None
) -> None:
    """Confirm who answers; the first confirmation starts the response clock."""
    now = _at(now)
    _require(can_assign_agencies(moderator, proposal, now))
    agencies = _agencies(agency_ids)
    if not agencies:
        raise RuleError(_("Choose at least one agency."), field="agencies")
    proposal.responsible_agencies = agencies
    first = proposal.response_started_at is None
    if first:
        proposal.response_started_at = now
        proposal.response_due_at = deadline_after(now, cfg("RESPONSE_DAYS"))
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
    _commit()


def extend_response(
    staff: User, proposal: Proposal, new_due: date, reason: str, now: datetime | None = None
) -> ResponseExtension:
    """Move the response deadline later, publicly, with a reason (any number of times)."""
    now = _at(now)
    _require(can_extend(staff, proposal, now))
    reason = (reason or "").strip()
    if not reason:
        raise RuleError(_("Give the reason for the extension."), field="reason")
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
    _commit()
    return ext


@dataclass
class PointInput:
    measure_id: int
    decision: str | None
    reasoning: str
    responsible_unit: str
    follow_up_on: date | None
    # Discussion statement ids as submitted (strings from the form); None keeps the links
    # the point already has.
    linked_statement_ids: Sequence[Any] | None = None


def save_response(
    staff: User,
    proposal: Proposal,
    overall: str,
    points: Sequence[PointInput],
    publish: bool,
    now: datetime | None = None,
) -> AgencyResponse:
    """Save the point-by-point response as a draft, or publish it.

    Publishing needs the overall answer and, for every measure, a decision and reasoning.
    Each point may name the discussion statements it answers (checked by the report area:
    visible statements of this proposal's discussion). Problems come back as field errors
    (``linked_<measure id>`` for the statements) and nothing is written.
    """
    from participate.reports.linkup import clean_linked_ids

    now = _at(now)
    if sync_status(proposal, now):
        _commit()
    _require(can_respond(staff, proposal, now))
    measures = {m.id: m for m in proposal.measures}
    by_measure = {p.measure_id: p for p in points if p.measure_id in measures}
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
        for mid in measures:
            point = by_measure.get(mid)
            if point is None or not point.decision:
                errors[f"decision_{mid}"] = _("Choose a decision for this point.")
            if point is None or not point.reasoning.strip():
                errors[f"reasoning_{mid}"] = _("Explain the decision.")
    if errors:
        incomplete = any(not name.startswith("linked_") for name in errors)
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
    response.overall = (overall or "").strip()
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
        row.reasoning = data.reasoning.strip()
        row.responsible_unit = data.responsible_unit.strip()
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
    _commit()
    return response


# --------------------------------------------------------------------------- consultations


@dataclass
class ConsultationInput:
    title: str
    summary: str
    background: str
    draft_text: str
    questions: list[str]
    links: list[str]
    closes_on: date | None


def open_consultation(
    staff: User, data: ConsultationInput, now: datetime | None = None
) -> Proposal:
    """An agency opens a consultation: no review, no endorsement, straight to discussion."""
    now = _at(now)
    _require(can_open_consultation(staff, now))
    if data.closes_on is None:
        deadline = deadline_after(now, cfg("CONSULTATION_DAYS"))
    else:
        if data.closes_on <= taipei_today(now):
            raise RuleError(_("The closing date must be in the future."), field="closes_on")
        deadline = end_of_taipei_day(data.closes_on)
    proposal = Proposal(
        kind=P.CONSULTATION,
        status=S.OPEN,
        author_id=staff.id,
        owner_agency_id=staff.agency_id,
        title=data.title.strip(),
        summary=data.summary.strip(),
        problem=data.background.strip(),
        draft_text=data.draft_text.strip(),
        evidence_links=_links(data.links),
        created_at=now,
        opened_at=now,
        deadline=deadline,
    )
    db.session.add(proposal)
    _set_measures(proposal, data.questions)
    db.session.flush()
    proposal.responsible_agencies = [proposal.owner_agency] if proposal.owner_agency else []
    audit.record(staff, "proposal.open", "proposal", proposal.id, kind="consultation")
    _open_discussion(proposal)
    _follow(staff.id, proposal.id)
    _commit()
    return proposal


def close_consultation(staff: User, proposal: Proposal, now: datetime | None = None) -> None:
    """Close a consultation before its closing date (the agency's choice, audited)."""
    now = _at(now)
    _require(can_close_consultation(staff, proposal, now))
    transition(proposal, S.CLOSED, staff, now, via="early")
    notify_followers(proposal, NotificationKind.CLOSED, now)
    _commit()


# --------------------------------------------------------------------------- sweeps


def sweep(now: datetime | None = None) -> int:
    """Store every time-based change that is due; the periodic task calls this."""
    now = _at(now)
    due = db.session.scalars(
        select(Proposal).where(
            Proposal.status.in_([S.ENDORSING, S.OPEN]),
            Proposal.deadline.is_not(None),
            Proposal.deadline < now,
        )
    ).all()
    changed = 0
    for proposal in due:
        proposal = _lock_proposal(proposal.id)
        if sync_status(proposal, now):
            changed += 1
        _commit()
    return changed
