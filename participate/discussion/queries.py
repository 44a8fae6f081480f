"""Reads of the discussion shared by the HTML views and the API: loading a statement for a
vote, the lists of a page, what the viewer voted, the voting card's routing and the
duplicate warning. Nothing here writes."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, exists, func, inspect, or_, select
from sqlalchemy.orm import joinedload

from participate import direct_sql
from participate.auth.loader import session_account, session_params
from participate.discussion import tallies
from participate.extensions import db
from participate.models import (
    AnalysisState,
    ContentStatus,
    Discussion,
    Proposal,
    ProposalStatus,
    Reply,
    Statement,
    ThreadLock,
    User,
    Vote,
)

PAGE_SIZE = 20
REPLY_PAGE_SIZE = 50
SORTS = ("new", "votes", "oldest")


def load_statement(statement_id: int) -> Statement | None:
    """A statement with its discussion and proposal, in one query (what the vote reads)."""
    return db.session.scalar(
        select(Statement)
        .options(joinedload(Statement.discussion).joinedload(Discussion.proposal))
        .where(Statement.id == statement_id)
    )


@dataclass(frozen=True, slots=True)
class VoteProposal:
    """The proposal's lifecycle as ``lifecycle.discussion_is_open`` reads it: the stored
    status, the deadline and when the response was published."""

    status: ProposalStatus
    deadline: datetime | None
    responded_at: datetime | None


@dataclass(frozen=True, slots=True)
class VoteDiscussion:
    """The discussion as the vote's policy reads it (``participation_refusal``)."""

    id: int
    proposal_id: int
    proposal: VoteProposal


@dataclass(frozen=True, slots=True)
class VoteStatement:
    """The statement a vote is for, as the vote reads it: its id, whether it is shown, and
    its discussion. Read as columns, not as ORM entities: loading a Statement with its
    Discussion and Proposal (their text columns, identity map, row processors) was the
    largest part of a vote's CPU, for the few attributes the vote and its policy read."""

    id: int
    discussion_id: int
    status: ContentStatus
    discussion: VoteDiscussion


@dataclass(frozen=True)
class VoteContext:
    """What the vote's policy and its analysis request ask about, read in one query."""

    statement: VoteStatement | None
    user: User | None
    locked: bool
    # The discussion's analysis state when the vote read it, (requested_at, scheduled_for),
    # both None before its first run was asked for: ``scheduler.waiting`` reads it.
    analysis: tuple[Any, Any]


@cache
def _account_attributes() -> tuple[tuple[str, Any], ...]:
    """The account's mapped attributes and their columns, in the order the lane's query
    selects them."""
    return tuple((prop.key, prop.columns[0]) for prop in inspect(User).column_attrs)


@cache
def _vote_context_query(entity: bool = True) -> Any:
    """Built once: building and hashing the statement per vote cost more than running it.
    The account is an ORM entity (it becomes ``current_user``, which pages render), or,
    for the vote's lane (``entity`` False), its columns; the statement, discussion and
    proposal are only the columns the vote reads."""
    locked = (
        exists()
        .where(
            ThreadLock.discussion_id == Statement.discussion_id,
            or_(ThreadLock.statement_id.is_(None), ThreadLock.statement_id == Statement.id),
        )
        .label("locked")
    )
    return (
        select(
            *((User,) if entity else tuple(column for _, column in _account_attributes())),
            Statement.id,
            Statement.discussion_id,
            Statement.status,
            Discussion.proposal_id,
            Proposal.status,
            Proposal.deadline,
            Proposal.responded_at,
            locked,
            AnalysisState.requested_at,
            AnalysisState.scheduled_for,
        )
        .select_from(Statement)
        .join(Discussion, Discussion.id == Statement.discussion_id)
        .join(Proposal, Proposal.id == Discussion.proposal_id)
        .outerjoin(User, session_account())
        .outerjoin(AnalysisState, AnalysisState.discussion_id == Statement.discussion_id)
        .where(Statement.id == bindparam("statement_id"))
    )


def vote_context(statement_id: int, identity: tuple[int, int] | None = None) -> VoteContext:
    """Everything the vote asks about, in one query: the statement with its discussion and
    proposal, the voter (the session's id and version, so a suspension, a password change
    or a role change counts at once: the row is read in the vote's own request, no cache to
    invalidate), whether a moderators' lock covers the thread, and the discussion's analysis
    state (so a vote made while a run is already scheduled writes nothing more). The user
    is None when the session names no current account (logged out, or its version was
    bumped); the statement is None when there is no such statement. The voter is the one
    the request's session names, or ``identity`` (the session's ``(id, version)``) when the
    caller read the cookie itself (the vote's lane); then the user is not in the session
    (see :func:`_lane_row`)."""
    if identity is None:
        params = {"statement_id": statement_id, **session_params()}
        row = db.session.execute(_vote_context_query(), params).first()
    else:
        row = _lane_row(statement_id, identity)
    if row is None:
        return VoteContext(None, None, False, (None, None))
    user, sid, did, status, pid, p_status, deadline, responded_at, locked, req, sched = row
    discussion = VoteDiscussion(did, pid, VoteProposal(p_status, deadline, responded_at))
    return VoteContext(
        VoteStatement(sid, did, status, discussion), user, bool(locked), (req, sched)
    )


def _lane_row(statement_id: int, identity: tuple[int, int]) -> tuple[Any, ...] | None:
    """:func:`vote_context`'s row for the vote's lane, read on the driver's cursor
    (``participate.direct_sql``): the account comes back as a User built from its columns
    and not added to the session. Nothing renders it and nothing writes it: the vote's
    policy reads its attributes and the vote its id. Loading it as an ORM entity
    (identity map, row processing, expiry at the commit) was half of the query's CPU."""
    params = {"statement_id": statement_id, "uid": identity[0], "version": identity[1]}
    raw = direct_sql.first(db.session.connection(), _vote_context_query(False), params)
    if raw is None:
        return None
    attributes = _account_attributes()
    account = raw[: len(attributes)]
    user = None
    if account[0] is not None:  # the outer join found the session's account
        user = User(**{key: value for (key, _), value in zip(attributes, account, strict=True)})
    return (user, *raw[len(attributes) :])


def visible_count(discussion_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Statement)
            .where(
                Statement.discussion_id == discussion_id,
                Statement.status == ContentStatus.VISIBLE,
            )
        )
        or 0
    )


def progress(discussion: Discussion, user_id: int | None) -> dict[str, int]:
    """How many visible statements ``user_id`` may vote on (not their own) and how many of
    them they voted on (one query each)."""
    if user_id is None:
        return {"total": visible_count(discussion.id), "voted": 0}
    own = case((Statement.author_id == user_id, 1), else_=0)
    total, mine = db.session.execute(
        select(func.count(), func.coalesce(func.sum(own), 0)).where(
            Statement.discussion_id == discussion.id,
            Statement.status == ContentStatus.VISIBLE,
        )
    ).one()
    voted = (
        db.session.scalar(
            select(func.count())
            .select_from(Vote)
            .where(Vote.discussion_id == discussion.id, Vote.participant_id == user_id)
        )
        or 0
    )
    return {"total": int(total) - int(mine), "voted": voted}


def statement_page(
    discussion: Discussion, sort: str = "new", page: int = 1, size: int = PAGE_SIZE
) -> tuple[list[Statement], int]:
    """One page of visible statements (seed statements first when newest first), and the
    total, with their authors loaded (no N+1)."""
    if sort not in SORTS:
        sort = "new"
    base = select(Statement).where(
        Statement.discussion_id == discussion.id, Statement.status == ContentStatus.VISIBLE
    )
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    order: list[Any] = {
        "new": [Statement.is_seed.desc(), Statement.created_at.desc(), Statement.id.desc()],
        "oldest": [Statement.created_at, Statement.id],
        "votes": [
            (Statement.agree_count + Statement.disagree_count + Statement.pass_count).desc(),
            Statement.id.desc(),
        ],
    }[sort]
    statements = list(
        db.session.scalars(
            base.options(joinedload(Statement.author))
            .order_by(*order)
            .limit(size)
            .offset((max(page, 1) - 1) * size)
        )
    )
    tallies.show_live(statements)  # sorted by the folded counters, shown with every vote
    return statements, total


def reply_page(statement: Statement, page: int = 1, size: int = REPLY_PAGE_SIZE) -> list[Reply]:
    """One page of a thread, in tree order (the materialised path), authors loaded."""
    return list(
        db.session.scalars(
            select(Reply)
            .options(joinedload(Reply.author))
            .where(Reply.statement_id == statement.id)
            .order_by(Reply.path)
            .limit(size)
            .offset((max(page, 1) - 1) * size)
        )
    )


def reply_position(item: Reply) -> int:
    """How many replies come before ``item`` in its thread (which page shows it)."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Reply)
            .where(Reply.statement_id == item.statement_id, Reply.path < item.path)
        )
        or 0
    )


def statements_voted(user_id: int | None, statement_ids: Sequence[int]) -> dict[int, int]:
    """The user's current votes on the given statements, in one query (no N+1 on lists)."""
    if user_id is None or not statement_ids:
        return {}
    rows = db.session.execute(
        select(Vote.statement_id, Vote.value).where(
            Vote.participant_id == user_id, Vote.statement_id.in_(list(statement_ids))
        )
    )
    return {sid: value for sid, value in rows}


# --- Routing ----------------------------------------------------------------------------


def routing_priority(agree: int, disagree: int, passes: int, extremity: float = 0.0) -> float:
    """Pol.is's priority for showing a statement next (see ``nlp.repness.priority``).

    New statements (few votes) are boosted so they quickly get enough votes to be placed;
    statements most people pass on sink. Without an analysis the extremity is 0.
    """
    seen = agree + disagree + passes
    p = (passes + 1.0) / (seen + 2.0)
    a = (agree + 1.0) / (seen + 2.0)
    importance = (1.0 - p) * (extremity + 1.0) * a
    return (importance * (1.0 + 8.0 * 2.0 ** (-seen / 5.0))) ** 2


def next_statement(
    discussion: Discussion,
    user_id: int | None,
    priorities: dict[int, float] | None = None,
    rng: random.Random | None = None,
    candidates: int = 50,
) -> Statement | None:
    """The next statement to show ``user_id``: never one they already voted on, nor one
    they wrote.

    Seed statements come first, oldest first. Otherwise a weighted random draw, Pol.is style:
    among the ``candidates`` unvoted statements with the fewest votes (newest first on ties),
    plus, when ``priorities`` (statement id -> priority, from the opinion analysis) are given,
    the unvoted ones among the ``4 * candidates`` highest priorities; statements missing from
    ``priorities`` use :func:`routing_priority`.
    """
    rng = rng or random.Random()  # noqa: S311 - routing, not security
    query = select(Statement).where(
        Statement.discussion_id == discussion.id, Statement.status == ContentStatus.VISIBLE
    )
    if user_id is not None:
        voted = (
            select(Vote.id)
            .where(Vote.participant_id == user_id, Vote.statement_id == Statement.id)
            .exists()
        )
        # Nobody is asked to vote on what they wrote themselves.
        mine = Statement.author_id.is_not(None) & (Statement.author_id == user_id)
        query = query.where(~voted, ~mine)
    seed = db.session.scalar(
        query.where(Statement.is_seed.is_(True))
        .order_by(Statement.created_at, Statement.id)
        .limit(1)
    )
    if seed is not None:
        return seed
    vote_total = Statement.agree_count + Statement.disagree_count + Statement.pass_count
    fewest = query.order_by(vote_total, Statement.created_at.desc()).limit(candidates)
    pool = list(db.session.scalars(fewest))
    if priorities:
        # The highest-priority unvoted statements join the fewest-voted ones (which cover
        # statements newer than the analysis); bounded, so a card stays cheap at any size.
        top = sorted(priorities, key=lambda sid: -priorities[sid])[: 4 * candidates]
        have = {s.id for s in pool}
        pool += [
            s for s in db.session.scalars(query.where(Statement.id.in_(top))) if s.id not in have
        ]
    if not pool:
        return None
    weights = []
    for s in pool:
        computed = routing_priority(s.agree_count, s.disagree_count, s.pass_count)
        weights.append(max((priorities or {}).get(s.id, computed), 1e-9))
    return rng.choices(pool, weights=weights, k=1)[0]


# --- Similar statements -----------------------------------------------------------------


def similar_statements(
    discussion: Discussion, text: str, top: int = 5, threshold: float = 0.5
) -> list[tuple[Statement, float]]:
    """Existing visible statements very similar to ``text`` (the duplicate warning).

    Scoring is ``nlp.similar`` (jieba tokens + CJK bigrams, TF-IDF cosine) against the
    newest few thousand statements, through the discussion's cached index
    (:mod:`participate.discussion.similar`: rebuilt only when its statements changed).
    """
    from participate.discussion.similar import index_for

    text = (text or "").strip()
    if len(text) < 4:
        return []
    matches = index_for(discussion.id).query(text, top, threshold)
    if not matches:
        return []
    by_id = {
        s.id: s
        for s in db.session.scalars(
            select(Statement).where(Statement.id.in_([sid for sid, _score in matches]))
        )
    }
    # A statement hidden since the index was built is not offered (nor is it in the next).
    return [
        (by_id[sid], score)
        for sid, score in matches
        if sid in by_id and by_id[sid].status == ContentStatus.VISIBLE
    ]
