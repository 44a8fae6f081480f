"""Reads of the proposals area shared by the HTML pages and the API.

The public list and its filters, what an agency answers for, the staff dashboard, the
home page lists and the statistics are each written once here, so the site and
``/api/v1`` cannot disagree about them. Visibility and ownership come from the policy
(:func:`policy.public_clause`, :func:`policy.responsible_clause`), time-based states from
the lifecycle (:func:`lifecycle.status_clause`). Nothing here writes.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from participate import policy
from participate.auth.loader import session_account, session_params
from participate.extensions import db
from participate.models import (
    Agency,
    AgencyResponse,
    ContentStatus,
    Discussion,
    Endorsement,
    Follow,
    Notification,
    PhoneNumber,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Statement,
    User,
    Vote,
)
from participate.models.proposals import proposal_proposed_agency, proposal_responsible_agency
from participate.proposals import lifecycle
from participate.proposals.lifecycle import Clock
from participate.timeutil import aware

S = ProposalStatus

# The statuses the public list can be filtered by (the public ones).
LIST_STATUSES = [S.ENDORSING, S.ESTABLISHED, S.RESPONDED, S.LAPSED, S.OPEN, S.CLOSED]
# Orders of the public list: the site offers the first four; the API lists newest created.
SORTS = ("newest", "endorsed", "closing", "response_due", "created")


# --------------------------------------------------------------------------- the public list


def agency_clause(agency_id: int) -> ColumnElement[bool]:
    """Proposals that concern an agency: the ones it answers for (the policy's
    :func:`~participate.policy.responsible_clause`) and the ones whose author suggested it.
    The list filter "agency" of the site and of the API."""
    proposed = select(proposal_proposed_agency.c.proposal_id).where(
        proposal_proposed_agency.c.agency_id == agency_id
    )
    return or_(Proposal.id.in_(proposed), policy.responsible_clause(agency_id))


@dataclass
class ListFilter:
    """What the public list is narrowed to and how it is ordered (``None``: any)."""

    status: ProposalStatus | None = None
    kind: ProposalKind | None = None
    agency_id: int | None = None
    sort: str = "newest"


def public_list(filters: ListFilter, now: datetime) -> Select[tuple[Proposal]]:
    """The public proposals and consultations, filtered by *effective* status (a lapse
    counts on read), kind and agency, in the chosen order. The caller paginates."""
    q = select(Proposal).where(policy.public_clause())
    if filters.status is not None:
        q = q.where(lifecycle.status_clause(filters.status, now))
    if filters.kind is not None:
        q = q.where(Proposal.kind == filters.kind)
    if filters.agency_id is not None:
        q = q.where(agency_clause(filters.agency_id))
    sort = filters.sort if filters.sort in SORTS else "newest"
    if sort == "endorsed":
        return q.order_by(Proposal.endorsement_count.desc(), Proposal.id.desc())
    if sort == "closing":
        live = Proposal.status.in_([S.ENDORSING, S.OPEN]) & (Proposal.deadline >= now)
        return q.order_by(case((live, 0), else_=1), Proposal.deadline.asc(), Proposal.id.desc())
    if sort == "response_due":
        waiting = Proposal.response_due_at.is_not(None) & Proposal.responded_at.is_(None)
        return q.order_by(
            case((waiting, 0), else_=1), Proposal.response_due_at.asc(), Proposal.id.desc()
        )
    if sort == "created":
        return q.order_by(Proposal.created_at.desc(), Proposal.id.desc())
    return q.order_by(
        func.coalesce(Proposal.opened_at, Proposal.created_at).desc(), Proposal.id.desc()
    )


def with_details(query: Select[tuple[Proposal]]) -> Select[tuple[Proposal]]:
    """Load the measures and agencies of a page of proposals in three queries (no N+1)."""
    return query.options(
        selectinload(Proposal.measures),
        selectinload(Proposal.proposed_agencies),
        selectinload(Proposal.responsible_agencies),
    )


def agency_by_slug(slug: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.slug == slug)) if slug else None


def all_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).order_by(Agency.id)))


def home_lists(now: datetime) -> dict[str, list[Proposal]]:
    """The home page block: proposals whose endorsement closes soonest, open consultations."""
    endorsing = db.session.scalars(
        select(Proposal)
        .where(lifecycle.status_clause(S.ENDORSING, now))
        .order_by(Proposal.deadline.asc(), Proposal.id)
        .limit(4)
    ).all()
    consultations = db.session.scalars(
        select(Proposal)
        .where(lifecycle.status_clause(S.OPEN, now))
        .order_by(Proposal.deadline.asc(), Proposal.id)
        .limit(3)
    ).all()
    return {"endorsing": list(endorsing), "consultations": list(consultations)}


def authored_by(user_id: int) -> list[Proposal]:
    """Everything a person wrote, drafts included (their "my proposals" page)."""
    return list(
        db.session.scalars(
            select(Proposal).where(Proposal.author_id == user_id).order_by(Proposal.id.desc())
        )
    )


def awaiting_assignment() -> list[Proposal]:
    """Established proposals no moderator has assigned to an agency yet, oldest first."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(Proposal.status == S.ESTABLISHED, Proposal.response_due_at.is_(None))
            .order_by(Proposal.established_at.asc(), Proposal.id)
        )
    )


def notifications_of(user_id: int, limit: int = 100) -> list[Notification]:
    """A person's latest notifications, newest first."""
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------- one proposal


def has_endorsed(user: Any, proposal: Proposal) -> bool:
    if not policy.is_authenticated(user):
        return False
    found = db.session.scalar(
        select(Endorsement.id).where(
            Endorsement.proposal_id == proposal.id, Endorsement.user_id == user.id
        )
    )
    return found is not None


def is_following(user: Any, proposal: Proposal) -> bool:
    if not policy.is_authenticated(user):
        return False
    found = db.session.scalar(
        select(Follow.id).where(Follow.proposal_id == proposal.id, Follow.user_id == user.id)
    )
    return found is not None


def has_discussion(proposal_id: int) -> bool:
    """Acceptance opens the discussion; older data may lack one (then no report link)."""
    found = db.session.scalar(select(Discussion.id).where(Discussion.proposal_id == proposal_id))
    return found is not None


# --------------------------------------------------------------------------- agencies


@dataclass
class AgencyItem:
    """One row of an agency's page or dashboard (templates read ``r.p``, ``r.clock``...)."""

    p: Proposal
    clock: Clock | None
    status: ProposalStatus
    group: int
    sort: float
    report: bool


def agency_items(agency: Agency, now: datetime) -> list[AgencyItem]:
    """Everything public an agency answers for: overdue first, then running clocks by due
    date, then consultations, then what is answered (most recent first)."""
    items = db.session.scalars(
        select(Proposal)
        .where(policy.responsible_clause(agency.id), policy.public_clause())
        .options(selectinload(Proposal.extensions))
    ).all()
    # One query for which items have a discussion (and so an opinion report to link).
    discussed = set(
        db.session.scalars(
            select(Discussion.proposal_id).where(Discussion.proposal_id.in_([p.id for p in items]))
        )
    )
    rows = []
    for p in items:
        clock = lifecycle.response_clock(p, now)
        status = lifecycle.effective_status(p, now)
        if clock is not None and clock.overdue:
            group = 0
        elif clock is not None and clock.running:
            group = 1
        elif status in (S.OPEN, S.CLOSED):
            group = 2
        else:
            group = 3
        due = (clock.due_at if clock else aware(p.deadline)) or now
        sort_due = due.timestamp() if group < 3 else -(aware(p.responded_at) or due).timestamp()
        rows.append(AgencyItem(p, clock, status, group, sort_due, p.id in discussed))
    rows.sort(key=lambda r: (r.group, r.sort, r.p.id))
    return rows


def staff_todo(user: Any, rows: list[AgencyItem], now: datetime) -> list[AgencyItem]:
    """The dashboard's "to do": what this person may answer or close now."""
    return [
        r
        for r in rows
        if policy.can_respond(user, r.p, now) or policy.can_close_consultation(user, r.p, now)
    ]


# --------------------------------------------------------------------------- statistics


def _overdue_clause(now: datetime) -> ColumnElement[bool]:
    """The response clock is overdue: due date passed, no response published (the same
    test as :attr:`lifecycle.Clock.overdue`, whose due dates end a Taipei day)."""
    return (
        Proposal.response_due_at.is_not(None)
        & (Proposal.response_due_at < now)
        & Proposal.responded_at.is_(None)
    )


def overdue_by_agency(now: datetime) -> dict[int, int]:
    """Agency id -> its overdue proposals (a proposal with two agencies counts for both)."""
    rows = db.session.execute(
        select(proposal_responsible_agency.c.agency_id, func.count())
        .join(Proposal, Proposal.id == proposal_responsible_agency.c.proposal_id)
        .where(_overdue_clause(now))
        .group_by(proposal_responsible_agency.c.agency_id)
    ).all()
    return {agency_id: n for agency_id, n in rows}


@dataclass
class Statistics:
    """The platform's figures at ``generated_at``; see :func:`statistics` for each meaning."""

    generated_at: datetime
    proposals_by_status: dict[str, int]
    consultations_by_status: dict[str, int]
    established: int
    finished: int
    share_established: float | None
    median_days: float | None
    responses_timed: int
    overdue: int
    overdue_by_agency: list[tuple[Agency, int]] = field(default_factory=list)
    endorsements: int = 0
    statements: int = 0
    votes: int = 0
    participants: int = 0
    responses_published: int = 0
    agencies: int = 0


def _count(query: Any) -> int:
    return int(db.session.scalar(query) or 0)


def _by_status(now: datetime) -> dict[ProposalKind, dict[str, int]]:
    # Grouped over a subquery: PostgreSQL does not match a GROUP BY expression holding a
    # bound parameter (``now``) to the same expression in the SELECT list.
    inner = (
        select(
            Proposal.kind.label("kind"),
            Proposal.status.label("status"),
            case((lifecycle.expired_clause(now), 1), else_=0).label("past"),
        )
        .where(Proposal.status != S.DRAFT)
        .subquery()
    )
    rows = db.session.execute(
        select(inner.c.kind, inner.c.status, inner.c.past, func.count()).group_by(
            inner.c.kind, inner.c.status, inner.c.past
        )
    ).all()
    counts: dict[ProposalKind, dict[ProposalStatus, int]] = defaultdict(lambda: defaultdict(int))
    for kind, status, past, n in rows:
        counts[kind][lifecycle.status_after_deadline(status, bool(past))] += n
    return {  # in the lifecycle's order, statuses with none left out
        kind: {s.value: counts[kind][s] for s in ProposalStatus if counts[kind][s]}
        for kind in ProposalKind
    }


def statistics(now: datetime) -> Statistics:
    """Every figure of the statistics page and of ``/api/v1/statistics``, counted in SQL.

    - ``proposals_by_status`` / ``consultations_by_status``: proposals that left their
      author's drafts (submitted, reviewed, public or not), by *effective* status at ``now``
      (an endorsement period past its deadline counts as lapsed, a consultation past its
      closing date as closed, before the sweep stores it). Drafts are private work and not
      counted; statuses with no proposal are left out.
    - ``established``: citizen proposals that ever reached the endorsement threshold;
      ``finished``: those plus the lapsed ones (the endorsement period is over);
      ``share_established`` = established / finished (None when nothing finished).
    - ``median_days``: median days from assignment (the response clock starting) to the
      published response, over the ``responses_timed`` proposals that have both.
    - ``overdue``: proposals whose response due date has passed with no response published
      (the response clock shows "overdue"); ``overdue_by_agency``: the same per responsible
      agency, most first (a proposal with two agencies counts for both).
    - ``endorsements``: endorsement rows; ``statements``: visible discussion statements;
      ``votes``: current votes; ``participants``: people who voted at least once;
      ``responses_published``: published official responses (proposals and
      consultations); ``agencies``: agencies on the platform.
    """
    by_status = _by_status(now)
    proposals = by_status[ProposalKind.PROPOSAL]
    established = _count(
        select(func.count())
        .select_from(Proposal)
        .where(Proposal.kind == ProposalKind.PROPOSAL, Proposal.established_at.is_not(None))
    )
    finished = established + proposals.get(S.LAPSED.value, 0)
    durations = [
        (aware(done) - aware(start)).total_seconds() / 86400
        for start, done in db.session.execute(
            select(Proposal.response_started_at, Proposal.responded_at).where(
                Proposal.response_started_at.is_not(None), Proposal.responded_at.is_not(None)
            )
        )
    ]
    agencies = {a.id: a for a in all_agencies()}
    per_agency = overdue_by_agency(now)
    visible = Statement.status == ContentStatus.VISIBLE
    return Statistics(
        generated_at=now,
        proposals_by_status=proposals,
        consultations_by_status=by_status[ProposalKind.CONSULTATION],
        established=established,
        finished=finished,
        share_established=(established / finished) if finished else None,
        median_days=stats.median(durations) if durations else None,
        responses_timed=len(durations),
        overdue=_count(select(func.count()).select_from(Proposal).where(_overdue_clause(now))),
        overdue_by_agency=sorted(
            ((agencies[a], n) for a, n in per_agency.items() if a in agencies),
            key=lambda t: (-t[1], t[0].id),
        ),
        endorsements=_count(select(func.count(Endorsement.id))),
        statements=_count(select(func.count(Statement.id)).where(visible)),
        votes=_count(select(func.count(Vote.id))),
        participants=_count(select(func.count(func.distinct(Vote.participant_id)))),
        responses_published=_count(
            select(func.count(AgencyResponse.id)).where(AgencyResponse.published_at.is_not(None))
        ),
        agencies=len(agencies),
    )


@dataclass(frozen=True)
class EndorseContext:
    """What the endorsement's policy asks about, read in one query."""

    proposal: Proposal | None  # its held_endorsement_count loaded with it
    user: User | None  # with ``verified_mobile`` set (what ``policy.has_mobile`` reads)


@cache
def _endorse_context_query() -> Any:
    """Built once (building and hashing it per request cost more than running it)."""
    mobile = exists().where(PhoneNumber.user_id == User.id).label("mobile")
    return (
        select(Proposal, User, mobile)
        .select_from(Proposal)
        .outerjoin(User, session_account())
        .where(Proposal.id == bindparam("proposal_id"))
    )


def endorse_context(proposal_id: int) -> EndorseContext:
    """The proposal (with a moderator's hold on its count, a column property of the
    proposal), the endorser (the session's id and version: a suspension or a password
    change counts at once, nothing cached) with whether they verified a mobile number:
    one query for the busiest write of a popular proposal. The user is None when the
    session names no current account."""
    row = db.session.execute(
        _endorse_context_query(), {"proposal_id": proposal_id, **session_params()}
    ).first()
    if row is None:
        return EndorseContext(None, None)
    user = row[1]
    if user is not None:
        user.verified_mobile = bool(row[2])
    return EndorseContext(row[0], user)
