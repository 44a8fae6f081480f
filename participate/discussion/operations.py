"""One function per thing people do in a discussion: post a statement, reply, edit a
reply, delete, vote, report, and the moderators' hide/restore (:func:`set_status`).

Each does, in this order and visibly: ask the policy (``participate.policy``), screen the
text (``participate.moderation.screening``, explicitly: the site, the API and scripts all
pass through here), write, flush, record the audit entry, and put what follows into the
moderation queue or the outbox (a held item's queue entry, the reports' threshold, a fresh
opinion analysis after the commit). None of them commits: the request, job or command
around them does, once (``participate.boundary``). A refusal is a
:class:`participate.errors.RuleError` raised before anything is written.

Votes are not audited: the vote history table *is* their audit trail, and a second row per
vote would double the cost of the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from participate import audit, direct_sql, outbox, policy, search
from participate.boundary import savepoint
from participate.discussion import tallies
from participate.discussion.visibility import request_analysis, set_status, vote_changed
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
from participate.moderation import queue
from participate.moderation.screening import ScreenRequest, ScreenResult, screen
from participate.reports import scheduler
from participate.text import accept_text, render_reply
from participate.timeutil import utcnow

if TYPE_CHECKING:
    from participate.discussion.queries import VoteStatement

__all__ = [
    "MAX_NESTING",
    "PostResult",
    "VoteResult",
    "delete",
    "edit_reply",
    "post_statement",
    "reply",
    "report",
    "set_status",
    "vote",
]

MAX_NESTING = 4  # replies deeper than this are shown flat at this depth
VOTE_VALUES = {1: "agree_count", -1: "disagree_count", 0: "pass_count"}
REPORT_TEXT_MAX = 1000


@dataclass(frozen=True)
class PostResult:
    """What a post or edit wrote, and whether it is shown now or waits for a moderator
    (``held``; ``reason`` says why). The view tells the person which."""

    item: Statement | Reply
    held: bool = False
    reason: str | None = None

    @property
    def published(self) -> bool:
        return not self.held


# --- Checks shared by the actions -------------------------------------------------------


# Refusals whose reason JSON callers see as the error code (the site's fetch and the API
# have answered "locked" and "suspended" since those were introduced); the others keep the
# status's generic code ("login_required"/"unauthorized", "forbidden").
CODED_REFUSALS = ("locked", "suspended", "mobile_required", "gov_required")


def _refuse(refusal: policy.Refusal) -> RuleError:
    code = refusal.code if refusal.code in CODED_REFUSALS else None
    return RuleError(refusal.message, status=refusal.status, code=code)


def _require_participation(
    user: Any,
    discussion: Discussion,
    now: datetime,
    statement_id: int | None = None,
    action: str = "comment",
) -> None:
    """The policy's answer for writing here: closed, logged out, unconfirmed, suspended,
    without the identity level ``action`` needs, or locked (the code says which, for the
    API and the page)."""
    refusal = policy.participation_refusal(user, discussion, now, statement_id, action=action)
    if refusal is not None:
        raise _refuse(refusal)


def _require_participation_in(
    user: Any, statement: Statement | VoteStatement, now: datetime, locked: bool | None
) -> None:
    refusal = policy.participation_refusal(
        user, statement.discussion, now, statement.id, locked=locked, action="vote"
    )
    if refusal is not None:
        raise _refuse(refusal)


def _screened(user: User, kind: str, text: str, discussion_id: int) -> ScreenResult | None:
    """Moderation's screening of text about to be published: None or a "hold" result to
    write; a "reject" is refused here, next to the field, before anything is written."""
    result = screen(ScreenRequest(user, kind, text, discussion_id))
    if result is None or result.action == "publish":
        return None
    if result.action == "reject":
        raise RuleError(
            result.message or _("This cannot be published."),
            field="text" if kind == "statement" else "body",
            # A repeat or a flood conflicts with what was just posted; a banned word is bad input.
            status=409 if result.reason in ("duplicate", "flood") else 400,
        )
    return result


def clean_statement_text(text: str | None) -> str:
    """The statement as stored (``text.accept_text``: line endings, outer whitespace, no
    control character, something visible); refuse over-long statements."""
    cleaned = accept_text(text, "text", multiline=True, empty=_l("Write your statement first."))
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


def _clean_reply_body(body: str | None) -> str:
    cleaned = accept_text(body, "body", multiline=True, empty=_l("Write your reply first."))
    if len(cleaned) > REPLY_MAX_LENGTH:
        raise RuleError(
            _("A reply can have at most %(max)d characters.", max=REPLY_MAX_LENGTH), field="body"
        )
    return cleaned


# --- Statements and replies -------------------------------------------------------------


def post_statement(
    user: User,
    discussion: Discussion,
    text: str,
    seed: bool = False,
    now: datetime | None = None,
) -> PostResult:
    """Post a statement for others to vote on (a seed statement, shown first, when staff
    asks for one). Screening may hold it for a moderator: it is then written hidden."""
    now = now or utcnow()
    _require_participation(user, discussion, now)
    if seed and not policy.can_add_seed(user, discussion, now):
        raise RuleError(_("Only moderators and agency staff can add seed statements."), status=403)
    cleaned = clean_statement_text(text)
    held = _screened(user, "statement", cleaned, discussion.id)
    statement = Statement(
        discussion_id=discussion.id,
        author_id=user.id,
        text=cleaned,
        is_seed=bool(seed),
        status=ContentStatus.HIDDEN if held else ContentStatus.VISIBLE,
        created_at=now,
    )
    db.session.add(statement)
    db.session.flush()
    audit.record(
        user, "statement.post", "statement", statement.id, discussion_id=discussion.id, seed=seed
    )
    if held:
        queue.hold(statement, "statement", held.reason, now)
    outbox.add(search.index_statement, statement.id)  # held ones are indexed as hidden
    return PostResult(statement, bool(held), held.reason if held else None)


def reply(
    user: User,
    statement: Statement,
    body: str,
    parent: Reply | None = None,
    now: datetime | None = None,
) -> PostResult:
    """Reply under a statement, or under another reply of the same statement's thread."""
    now = now or utcnow()
    _require_participation(user, statement.discussion, now, statement.id)
    if statement.status != ContentStatus.VISIBLE:
        raise RuleError(_("This statement is no longer shown."), status=409)
    if parent is not None and parent.statement_id != statement.id:
        raise RuleError(_("That reply belongs to another thread."), status=400)
    cleaned = _clean_reply_body(body)
    held = _screened(user, "reply", cleaned, statement.discussion_id)
    item = Reply(
        statement_id=statement.id,
        parent_id=parent.id if parent else None,
        author_id=user.id,
        depth=(parent.depth + 1) if parent else 0,
        body=cleaned,
        body_html=render_reply(cleaned),
        status=ContentStatus.HIDDEN if held else ContentStatus.VISIBLE,
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
    if held:
        queue.hold(item, "reply", held.reason, now)
    return PostResult(item, bool(held), held.reason if held else None)


def edit_reply(user: User, item: Reply, body: str, now: datetime | None = None) -> PostResult:
    """Change a reply's text within the edit window; the page then shows "edited". The new
    text is screened like a new reply (an unchanged text is not screened again)."""
    now = now or utcnow()
    statement = item.statement
    _require_participation(user, statement.discussion, now, statement.id)
    if not policy.can_edit_reply(user, item, now):
        raise RuleError(
            _("Replies can only be edited by their author within 15 minutes."), status=403
        )
    cleaned = _clean_reply_body(body)
    held = None
    if cleaned != item.body:
        held = _screened(user, "reply", cleaned, statement.discussion_id)
    item.body = cleaned
    item.body_html = render_reply(cleaned)
    item.edited_at = now
    if held:
        item.status = ContentStatus.HIDDEN
    db.session.flush()
    audit.record(user, "reply.edit", "reply", item.id)
    if held:
        queue.hold(item, "reply", held.reason, now)
    return PostResult(item, bool(held), held.reason if held else None)


def delete(user: User, item: Statement | Reply, now: datetime | None = None) -> None:
    """Authors remove what they wrote. A reply leaves a "deleted" placeholder so the thread
    keeps its shape; a statement can go only before others voted on it (it is hidden, and
    the opinion report stops counting it)."""
    now = now or utcnow()
    if not policy.can_delete(user, item):
        if isinstance(item, Statement) and item.author_id == getattr(user, "id", None):
            raise RuleError(
                _("Others have voted on this statement; report it if it must be removed."),
                status=403,
            )
        raise RuleError(_("You can only delete what you wrote."), status=403)
    if isinstance(item, Reply):
        item.deleted_at = now
        item.body = ""
        item.body_html = ""
        db.session.flush()
        audit.record(user, "reply.delete", "reply", item.id)
        return
    item.status = ContentStatus.HIDDEN
    db.session.flush()
    audit.record(user, "statement.delete", "statement", item.id)
    outbox.add(search.index_statement, item.id)
    request_analysis(item.discussion_id, "author")


# --- Reports ----------------------------------------------------------------------------


def report(
    user: User,
    item: Statement | Reply,
    reason: ReportReason | str,
    text: str = "",
    now: datetime | None = None,
) -> Report:
    """Flag a statement or reply for the moderators, once per person per item; locks do
    not stop it. Enough distinct reports hide the content at once (``queue.sync_reports``)."""
    now = now or utcnow()
    if not policy.can_report(user, now):
        refusal = policy.account_refusal(user, now)
        if refusal is not None and refusal.code == "suspended":
            raise _refuse(refusal)
        raise RuleError(_("Log in with a confirmed email address to report content."), status=403)
    try:
        reason = ReportReason(reason)
    except ValueError as exc:
        raise RuleError(_("Choose a reason."), field="reason") from exc
    text = accept_text(text, "text", multiline=True, required=False)
    if len(text) > REPORT_TEXT_MAX:
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
        created_at=now,
    )
    try:
        with savepoint():  # the same person reporting twice at once
            db.session.add(entry)
            db.session.flush()
    except IntegrityError as exc:
        raise RuleError(_("You have already reported this."), status=409) from exc
    audit.record(user, "report.create", kind, item.id, reason.value)
    queue.sync_reports(kind, item.id, now)
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

    def answer(self) -> dict[str, Any]:
        """What the site's script reads back (the view's and the lane's JSON)."""
        return {
            "statement_id": self.statement_id,
            "value": self.value,
            "previous": self.previous,
            "changed": self.changed,
            "counts": {"agree": self.agree, "disagree": self.disagree, "pass": self.passes},
        }


_VT = Vote.__table__
_HT = VoteHistory.__table__
_ST = Statement.__table__
_COUNTS = (_ST.c.agree_count, _ST.c.disagree_count, _ST.c.pass_count)
_COUNT_NAMES = ("agree_count", "disagree_count", "pass_count")


def _deltas(value: int, previous: int | None) -> tuple[int, int, int]:
    """How (agree, disagree, pass) move when a vote becomes ``value`` from ``previous``."""
    return tuple(  # type: ignore[return-value]
        (v == value) - (v == previous) for v in (1, -1, 0)
    )


def _live_counts(deltas: tuple[int, int, int], only_if: str) -> str:
    """PostgreSQL: the statement's counters plus its unfolded tallies plus ``deltas`` (a
    data-modifying CTE's own change is not in its statement's snapshot)."""
    cols = ", ".join(
        f"s.{name} + {d} + COALESCE(sum(t.{name}), 0)"
        for name, d in zip(_COUNT_NAMES, deltas, strict=True)
    )
    return (
        f"SELECT {cols} FROM statement s"
        " LEFT JOIN statement_tally t ON t.statement_id = s.id"
        f" WHERE s.id = :statement_id{only_if} GROUP BY s.id"
    )


def _tally_move(deltas: tuple[int, int, int], source: str) -> str:
    """PostgreSQL: CTE ``moved`` adds ``deltas`` to the voter's tally row (made when
    missing), then the live counts; ``source`` is ``FROM ins`` for a first vote, so that
    nothing moves when the vote was not new."""
    a, d, p = deltas
    return (
        "moved AS ("
        " INSERT INTO statement_tally AS st (statement_id, shard, agree_count,"
        " disagree_count, pass_count)"
        f" SELECT :statement_id, :shard, {a}, {d}, {p} {source}"
        " ON CONFLICT (statement_id, shard) DO UPDATE SET"
        " agree_count = st.agree_count + excluded.agree_count,"
        " disagree_count = st.disagree_count + excluded.disagree_count,"
        " pass_count = st.pass_count + excluded.pass_count"
        " RETURNING 1"
        f") {_live_counts(deltas, ' AND EXISTS (SELECT 1 FROM moved)')}"
    )


class _VoteSql:
    """The vote's statements, built once per dialect with bound parameters: building and
    hashing a statement per request (coercions, cache keys) cost more CPU than running it.
    They run on the session's connection, in its transaction, on the driver's cursor
    (``participate.direct_sql``: compiled once, no ORM flush or identity map)."""

    def __init__(self, dialect: str) -> None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        p, s = bindparam("participant_id"), bindparam("statement_id")
        # INSERT ... ON CONFLICT DO NOTHING first: the first statement of the transaction
        # is a write, so SQLite takes its write lock before anything is read.
        self.insert = (
            dialect_insert(_VT)
            .values(
                discussion_id=bindparam("discussion_id"),
                statement_id=s,
                participant_id=p,
                value=bindparam("value"),
                created_at=bindparam("now"),
                updated_at=bindparam("now"),
            )
            .on_conflict_do_nothing(index_elements=["participant_id", "statement_id"])
            .returning(_VT.c.id)
        )
        previous = select(_VT.c.id, _VT.c.value).where(
            _VT.c.participant_id == p, _VT.c.statement_id == s
        )
        # PostgreSQL: lock the row, so two concurrent changes by one person apply in turn
        # (SQLite's write lock, taken by the insert, already serialises them).
        self.previous = previous.with_for_update() if dialect == "postgresql" else previous
        self.change = (
            update(_VT)
            .where(_VT.c.id == bindparam("vote_id"))
            .values(value=bindparam("value"), updated_at=bindparam("now"))
        )
        self.history = insert(_HT).values(
            discussion_id=bindparam("discussion_id"),
            statement_id=s,
            participant_id=p,
            value=bindparam("value"),
            created_at=bindparam("now"),
        )
        self.counts = select(*_COUNTS).where(_ST.c.id == s)
        # PostgreSQL: the counters move in the voter's tally row, not the statement's
        # (``participate.discussion.tallies``: no lock all voters of a statement queue
        # for), and a first vote (the common case) is one statement, one round trip: the
        # vote, its history row and the tally move as data-modifying CTEs, which
        # PostgreSQL runs together, and the statement's live counts come back. No row
        # comes back when the person had voted already, and the change path below runs
        # instead. (SQLite has no data-modifying CTEs, and one writer at a time anyway.)
        self.first: dict[int, Any] = {}
        self.tally: dict[tuple[int, int | None], Any] = {}
        if dialect == "postgresql":
            for value in VOTE_VALUES:
                self.first[value] = text(
                    "WITH ins AS ("
                    " INSERT INTO vote (discussion_id, statement_id, participant_id, value,"
                    " created_at, updated_at)"
                    " VALUES (:discussion_id, :statement_id, :participant_id, :value, :now, :now)"
                    " ON CONFLICT (participant_id, statement_id) DO NOTHING RETURNING id"
                    "), hist AS ("
                    " INSERT INTO vote_history (discussion_id, statement_id, participant_id,"
                    " value, created_at)"
                    " SELECT :discussion_id, :statement_id, :participant_id, :value, :now"
                    " FROM ins"
                    f"), {_tally_move(_deltas(value, None), 'FROM ins')}"
                )
                for old in VOTE_VALUES:
                    if old != value:
                        self.tally[(value, old)] = text(
                            f"WITH {_tally_move(_deltas(value, old), '')}"
                        )
            self.counts = text(_live_counts((0, 0, 0), ""))
        # One counter statement per (new value, old value): the moves are constants.
        self.move: dict[tuple[int, int | None], Any] = {}
        for new_value, new_col in VOTE_VALUES.items():
            for old_value in (None, *VOTE_VALUES):
                if old_value == new_value:
                    continue
                moves = {_ST.c[new_col]: _ST.c[new_col] + 1}
                if old_value is not None:
                    old_col = VOTE_VALUES[old_value]
                    moves[_ST.c[old_col]] = _ST.c[old_col] - 1
                self.move[(new_value, old_value)] = (
                    update(_ST).where(_ST.c.id == s).values(moves).returning(*_COUNTS)
                )


_vote_sql = cache(_VoteSql)  # one set of statements per dialect name


def vote(
    user: User,
    statement: Statement | VoteStatement,
    value: int,
    now: datetime | None = None,
    locked: bool | None = None,
    analysis: tuple[Any, Any] | None = None,
) -> VoteResult:
    """Agree (+1), disagree (-1) or pass (0); the last vote counts, every vote is kept.

    The policy first (on the loaded data: ``locked`` when the caller read the lock with
    the statement, as ``queries.vote_context`` does; else one query), then: try to insert
    the vote (INSERT ... ON CONFLICT DO NOTHING); on conflict read the old value under a
    row lock and update it; append the history row; move the counters by the difference,
    last: the statement's own on SQLite, the voter's tally row on PostgreSQL (folded into
    the statement's soon after: ``participate.discussion.tallies``); the answer carries
    the statement's live counts either way. Two concurrent
    votes by one person end as one row because the unique (participant, statement)
    constraint decides. A vote asks for a fresh analysis after the commit (the outbox
    keeps one such effect per discussion and transaction), unless the caller read the
    discussion's analysis state with the statement (``analysis``: the
    ``(requested_at, scheduled_for)`` pair ``queries.vote_context`` reads; None when not
    read) and a run is already requested and queued (``scheduler.waiting``): then the vote
    is one transaction and nothing after it. ``statement`` is a loaded Statement (the API,
    scripts) or the columns ``queries.vote_context`` read (the site's vote).
    """
    now = now or utcnow()
    _require_participation_in(user, statement, now, locked)
    if statement.status != ContentStatus.VISIBLE:
        raise RuleError(_("This statement is no longer shown."), status=409)
    try:
        value = int(value)
    except (TypeError, ValueError) as exc:
        raise RuleError(_("Choose agree, disagree or pass."), field="value") from exc
    if value not in VOTE_VALUES:
        raise RuleError(_("Choose agree, disagree or pass."), field="value")

    connection = db.session.connection()
    sql = _vote_sql(connection.dialect.name)
    params = {
        "participant_id": user.id,
        "statement_id": statement.id,
        "discussion_id": statement.discussion_id,
        "value": value,
        "now": now,
    }
    # Each statement gets exactly its parameters: a Core UPDATE would also SET any other
    # key that names one of its table's columns.
    pair = {"participant_id": user.id, "statement_id": statement.id}
    previous: int | None = None
    if sql.first:  # PostgreSQL: no row back means the vote conflicted (a change)
        shard = {"statement_id": statement.id, "shard": tallies.shard_of(user.id)}
        counts = direct_sql.first(connection, sql.first[value], params | shard)
        if counts is not None:
            return _voted(statement, value, None, counts, analysis, now, spread=True)
        first_vote = False
    else:
        first_vote = direct_sql.first(connection, sql.insert, params) is not None
    if not first_vote:
        vote_id, previous = direct_sql.first(connection, sql.previous, pair)
        if previous == value:
            counts = direct_sql.first(connection, sql.counts, pair)
            return VoteResult(statement.id, value, previous, False, *counts)
        direct_sql.run(connection, sql.change, {"vote_id": vote_id, "value": value, "now": now})
    direct_sql.run(connection, sql.history, params)
    if sql.first:
        counts = direct_sql.first(connection, sql.tally[(value, previous)], shard)
    else:
        counts = direct_sql.first(connection, sql.move[(value, previous)], pair)
    return _voted(statement, value, previous, counts, analysis, now, spread=bool(sql.first))


def _voted(
    statement: Statement | VoteStatement,
    value: int,
    previous: int | None,
    counts: Any,
    analysis: tuple[Any, Any] | None,
    now: datetime,
    spread: bool,
) -> VoteResult:
    """After the vote's writes: a loaded Statement shows the counters SQL moved (no
    reload; ``queries.VoteStatement`` holds no counters), and the analysis is asked for
    unless a run already waits."""
    if isinstance(statement, Statement):
        for col, number in zip(_COUNT_NAMES, counts, strict=True):
            set_committed_value(statement, col, number)
    if analysis is None or not scheduler.waiting(analysis, now):
        outbox.add(vote_changed, statement.discussion_id)
    if spread:  # PostgreSQL: the vote moved a tally row, folded soon after
        outbox.add(tallies.fold_soon, statement.discussion_id)
    return VoteResult(statement.id, value, previous, True, *counts)
