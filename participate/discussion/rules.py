"""Discussion rules: who may do what, and one function per user action.

Each action function checks the rule again (views check the same predicates first, to show
or hide buttons), writes in one transaction, records the audit entry and commits. Votes are
the exception to auditing: the vote history table *is* their audit trail, and a second row
per vote would double the cost of the hot path.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from participate import audit, outbox
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ContentStatus,
    Discussion,
    Reply,
    Report,
    ReportReason,
    Statement,
    User,
    Vote,
    VoteHistory,
)
from participate.models.discussion import PATH_WIDTH, REPLY_MAX_LENGTH, STATEMENT_MAX_LENGTH
from participate.policy import (  # noqa: F401 - re-exported for callers
    can_add_seed,
    can_delete,
    can_report,
    participation_problem,
)
from participate.policy import (
    can_edit_reply as can_edit,
)
from participate.policy.core import is_authenticated as _authenticated
from participate.proposals.lifecycle import discussion_is_open  # noqa: F401 - re-exported
from participate.text import render_reply
from participate.timeutil import utcnow

__all__ = [
    "RuleError",
    "EDIT_WINDOW",
    "MAX_NESTING",
    "participation_problem",
    "can_add_seed",
    "can_edit",
    "can_delete",
    "can_report",
    "post_statement",
    "reply",
    "edit",
    "delete",
    "vote",
    "report",
    "set_status",
    "next_statement",
    "routing_priority",
    "similar_statements",
]

EDIT_WINDOW = timedelta(minutes=15)
MAX_NESTING = 4  # replies deeper than this are shown flat at this depth
VOTE_VALUES = {1: "agree_count", -1: "disagree_count", 0: "pass_count"}


# --- Predicates -------------------------------------------------------------------------


# --- Actions ----------------------------------------------------------------------------


def _require(
    user: Any, discussion: Discussion, now: datetime, statement_id: int | None = None
) -> None:
    problem = participation_problem(user, discussion, now, statement_id)
    if problem is not None:
        status = 401 if not _authenticated(user) else 403
        raise RuleError(problem, status=status)


def _guard(user: Any, action: str, target: Any) -> None:
    """The moderation area's write guards (suspensions, locked threads), checked inside the
    rule as well as before the request, so every caller (views, API, CLI) gets them."""
    from participate.moderation.guards import write_guard

    write_guard(user, action, target)


def clean_statement_text(text: str | None) -> str:
    """Normalise line endings and outer whitespace; refuse empty and over-long statements."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise RuleError(_("Write your statement first."), field="text")
    if len(cleaned) > STATEMENT_MAX_LENGTH:
        raise RuleError(
            _(
                "A statement can have at most %(max)d characters (yours has %(n)d).",
                max=STATEMENT_MAX_LENGTH,
                n=len(cleaned),
            ),
            field="text",
        )
    return cleaned


def post_statement(
    user: User,
    discussion: Discussion,
    text: str,
    seed: bool = False,
    now: datetime | None = None,
) -> Statement:
    """Post a statement for others to vote on (a seed statement when staff asks for one)."""
    now = now or utcnow()
    _require(user, discussion, now)
    _guard(user, "statement.post", discussion)
    cleaned = clean_statement_text(text)
    if seed and not can_add_seed(user, discussion):
        raise RuleError(_("Only moderators and agency staff can add seed statements."), status=403)
    statement = Statement(
        discussion_id=discussion.id,
        author_id=user.id,
        text=cleaned,
        is_seed=bool(seed),
        created_at=now,
    )
    db.session.add(statement)
    db.session.flush()
    audit.record(
        user, "statement.post", "statement", statement.id, discussion_id=discussion.id, seed=seed
    )
    db.session.commit()
    return statement


def _clean_reply_body(body: str | None) -> str:
    cleaned = (body or "").replace("\r\n", "\n").strip()
    if not cleaned:
        raise RuleError(_("Write your reply first."), field="body")
    if len(cleaned) > REPLY_MAX_LENGTH:
        raise RuleError(
            _("A reply can have at most %(max)d characters.", max=REPLY_MAX_LENGTH), field="body"
        )
    return cleaned


def reply(
    user: User,
    statement: Statement,
    body: str,
    parent: Reply | None = None,
    now: datetime | None = None,
) -> Reply:
    """Reply under a statement, or under another reply of the same statement's thread."""
    now = now or utcnow()
    _require(user, statement.discussion, now, statement.id)
    _guard(user, "reply.post", statement)
    if statement.status != ContentStatus.VISIBLE:
        raise RuleError(_("This statement is no longer shown."), status=409)
    if parent is not None and parent.statement_id != statement.id:
        raise RuleError(_("That reply belongs to another thread."), status=400)
    cleaned = _clean_reply_body(body)
    item = Reply(
        statement_id=statement.id,
        parent_id=parent.id if parent else None,
        author_id=user.id,
        depth=(parent.depth + 1) if parent else 0,
        body=cleaned,
        body_html=render_reply(cleaned),
        created_at=now,
    )
    db.session.add(item)
    db.session.flush()
    segment = f"{item.id:0{PATH_WIDTH}d}"
    item.path = f"{parent.path}/{segment}" if parent else segment
    db.session.execute(
        update(Statement)
        .where(Statement.id == statement.id)
        .values(reply_count=Statement.reply_count + 1)
    )
    audit.record(user, "reply.post", "reply", item.id, statement_id=statement.id)
    db.session.commit()
    return item


def edit(user: User, item: Reply, body: str, now: datetime | None = None) -> Reply:
    """Change a reply's text within the edit window; the page then shows "edited"."""
    now = now or utcnow()
    _require(user, item.statement.discussion, now, item.statement_id)
    _guard(user, "reply.edit", item)
    if not can_edit(user, item, now):
        raise RuleError(_("Replies can only be edited by their author within 15 minutes."), 403)
    cleaned = _clean_reply_body(body)
    item.body = cleaned
    item.body_html = render_reply(cleaned)
    item.edited_at = now
    audit.record(user, "reply.edit", "reply", item.id)
    db.session.commit()
    return item


def delete(user: User, item: Statement | Reply, now: datetime | None = None) -> None:
    """Authors remove what they wrote. A reply leaves a "deleted" placeholder so the thread
    keeps its shape; a statement can go only before others voted on it."""
    now = now or utcnow()
    if not can_delete(user, item):
        if isinstance(item, Statement) and item.author_id == getattr(user, "id", None):
            raise RuleError(
                _("Others have voted on this statement; report it if it must be removed."), 403
            )
        raise RuleError(_("You can only delete what you wrote."), 403)
    if isinstance(item, Reply):
        item.deleted_at = now
        item.body = ""
        item.body_html = ""
        audit.record(user, "reply.delete", "reply", item.id)
    else:
        item.status = ContentStatus.HIDDEN
        audit.record(user, "statement.delete", "statement", item.id)
    db.session.commit()


def set_status(
    actor: User, item: Statement | Reply, status: ContentStatus, reason: str | None = None
) -> None:
    """The one transition for content visibility (moderators hide and restore)."""
    if not _authenticated(actor) or not actor.is_moderator:
        raise RuleError(_("Only moderators can hide or restore content."), status=403)
    allowed = {
        ContentStatus.VISIBLE: {ContentStatus.HIDDEN},
        ContentStatus.HIDDEN: {ContentStatus.VISIBLE},
    }
    if status not in allowed[item.status]:
        raise RuleError(_("That change is not possible now."), status=409)
    kind = "statement" if isinstance(item, Statement) else "reply"
    before = item.status.value
    item.status = status
    audit.record(actor, f"{kind}.status", kind, item.id, reason, before=before, after=status.value)
    db.session.commit()


def report(
    user: User,
    item: Statement | Reply,
    reason: ReportReason | str,
    text: str = "",
    now: datetime | None = None,
) -> Report:
    """Flag a statement or reply for the moderators; once per person per item."""
    if not can_report(user):
        raise RuleError(_("Log in with a confirmed email address to report content."), 403)
    try:
        reason = ReportReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose a reason."), field="reason") from exc
    text = (text or "").strip()
    if len(text) > 1000:
        raise RuleError(_("Keep the explanation under 1000 characters."), field="text")
    kind = "statement" if isinstance(item, Statement) else "reply"
    discussion_id = (
        item.discussion_id if isinstance(item, Statement) else item.statement.discussion_id
    )
    exists = db.session.scalar(
        select(Report.id).where(
            Report.content_type == kind, Report.content_id == item.id, Report.reporter_id == user.id
        )
    )
    if exists:
        raise RuleError(_("You have already reported this."), status=409)
    entry = Report(
        content_type=kind,
        content_id=item.id,
        discussion_id=discussion_id,
        reporter_id=user.id,
        reason=reason,
        text=text,
        created_at=now or utcnow(),
    )
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same person reporting twice at once
        db.session.rollback()
        raise RuleError(_("You have already reported this."), status=409) from exc
    audit.record(user, "report.create", kind, item.id, reason.value)
    db.session.commit()
    return entry


# --- Voting: the hot path ---------------------------------------------------------------


@dataclass(frozen=True)
class VoteResult:
    statement_id: int
    value: int
    previous: int | None  # None for a first vote
    changed: bool
    agree: int
    disagree: int
    passes: int


def load_statement(statement_id: int) -> Statement | None:
    """A statement with its discussion and proposal, in one query (what the vote rule reads)."""
    return db.session.scalar(
        select(Statement)
        .options(joinedload(Statement.discussion).joinedload(Discussion.proposal))
        .where(Statement.id == statement_id)
    )


def _dialect_insert(table: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def vote(user: User, statement: Statement, value: int, now: datetime | None = None) -> VoteResult:
    """Agree (+1), disagree (-1) or pass (0); the last vote counts, every vote is kept.

    One transaction: try to insert the vote (INSERT ... ON CONFLICT DO NOTHING, so the first
    statement of the transaction is a write and SQLite takes its write lock before reading);
    on conflict read the old value under a row lock and update it; append the history row;
    move the statement's counters by the difference. Two concurrent votes by one person end
    as one row because the unique (participant, statement) constraint decides.
    """
    now = now or utcnow()
    _require(user, statement.discussion, now, statement.id)
    if statement.status != ContentStatus.VISIBLE:
        raise RuleError(_("This statement is no longer shown."), status=409)
    try:
        value = int(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(_("Choose agree, disagree or pass."), field="value") from exc
    if value not in VOTE_VALUES:
        raise RuleError(_("Choose agree, disagree or pass."), field="value")

    vt = Vote.__table__
    st = Statement.__table__
    ids = {"participant_id": user.id, "statement_id": statement.id}
    inserted = db.session.execute(
        _dialect_insert(vt)
        .values(
            discussion_id=statement.discussion_id,
            value=value,
            created_at=now,
            updated_at=now,
            **ids,
        )
        .on_conflict_do_nothing(index_elements=["participant_id", "statement_id"])
        .returning(vt.c.id)
    ).scalar()
    previous: int | None = None
    if inserted is None:
        query = select(vt.c.id, vt.c.value).where(
            vt.c.participant_id == user.id, vt.c.statement_id == statement.id
        )
        if db.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = db.session.execute(query).one()
        previous = int(row.value)
        if previous == value:
            counts = db.session.execute(
                select(st.c.agree_count, st.c.disagree_count, st.c.pass_count).where(
                    st.c.id == statement.id
                )
            ).one()
            db.session.commit()
            return VoteResult(statement.id, value, previous, False, *counts)
        db.session.execute(update(vt).where(vt.c.id == row.id).values(value=value, updated_at=now))
    db.session.execute(
        insert(VoteHistory.__table__).values(
            discussion_id=statement.discussion_id, value=value, created_at=now, **ids
        )
    )
    deltas = {col: 0 for col in VOTE_VALUES.values()}
    deltas[VOTE_VALUES[value]] += 1
    if previous is not None:
        deltas[VOTE_VALUES[previous]] -= 1
    counts = db.session.execute(
        update(st)
        .where(st.c.id == statement.id)
        .values({st.c[col]: st.c[col] + d for col, d in deltas.items() if d})
        .returning(st.c.agree_count, st.c.disagree_count, st.c.pass_count)
    ).one()
    statement_id, discussion_id = statement.id, statement.discussion_id
    db.session.commit()  # expires the ORM objects: use the ids read before it
    from participate.reports.scheduler import request_analysis as on_vote_recorded

    outbox.add(on_vote_recorded, discussion_id)
    return VoteResult(statement_id, value, previous, True, *counts)


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
    """The next statement to show ``user_id``: never one they already voted on.

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
        query = query.where(~voted)
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

SIMILAR_CORPUS_LIMIT = 3000


def similar_statements(
    discussion: Discussion, text: str, top: int = 5, threshold: float = 0.5
) -> list[tuple[Statement, float]]:
    """Existing visible statements very similar to ``text`` (the duplicate warning).

    Scoring is ``nlp.similar.near_duplicates`` (jieba tokens + CJK bigrams, TF-IDF cosine);
    the corpus is the newest few thousand statements, which keeps the cached index small.
    """
    from nlp.similar import near_duplicates

    text = (text or "").strip()
    if len(text) < 4:
        return []
    rows = db.session.execute(
        select(Statement.id, Statement.text)
        .where(Statement.discussion_id == discussion.id, Statement.status == ContentStatus.VISIBLE)
        .order_by(Statement.id.desc())
        .limit(SIMILAR_CORPUS_LIMIT)
    ).all()
    matches = near_duplicates(text, [r.text for r in rows], top=top, threshold=threshold)
    if not matches:
        return []
    by_id = {
        s.id: s
        for s in db.session.scalars(
            select(Statement).where(Statement.id.in_([rows[m.index].id for m in matches]))
        )
    }
    return [(by_id[rows[m.index].id], m.score) for m in matches]


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
