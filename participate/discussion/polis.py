"""Import and export a discussion in the Pol.is export format (comments.csv, votes.csv, ...).

Import: every Pol.is participant becomes a pseudonymous placeholder account (display name
``polis-<pid>``, no email, no password, so nobody can log in as them), mapped through
``PolisParticipant`` so an export writes the original ids back. Rejected comments
(``moderated = -1``) are imported hidden. ``votes.csv`` rows become vote history (every
event, in order) and the last vote per (participant, comment) becomes the current vote.
Everything is inserted in bulk in one transaction: the 50,000 votes of vTaiwan UberX take
seconds. Before anything is written, every file is read and checked
(:func:`nlp.polis_io.read_records`: encoding, CSV structure, columns, ids, votes, references
between the files) and every comment text (control characters refused, line breaks
normalised, blank comments refused); :func:`describe` words the first problem for the
operator, naming the file, the row and the column.

Export: the same five files. Participants are pseudonymised (imported ones keep their Pol.is
id, others get new small ids in order of first vote); hidden content is left out unless
``include_hidden``. Vote sign as in Pol.is exports: agree = 1, disagree = -1, pass = 0.
"""

from __future__ import annotations

import csv
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from flask_babel import gettext as _
from sqlalchemy import func, insert, select

from nlp.polis_io import Comment, PolisFormatError, PolisRecords
from participate import audit, outbox, search
from participate.discussion import polis_bulk
from participate.errors import RuleError
from participate.extensions import db
from participate.models import (
    ContentStatus,
    Discussion,
    PolisParticipant,
    Proposal,
    Role,
    Statement,
    User,
    Vote,
    VoteHistory,
)
from participate.models.discussion import get_or_create_discussion
from participate.text import clean_text, is_blank
from participate.timeutil import utcnow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 5000


@dataclass
class ImportResult:
    discussion_id: int
    participants: int
    statements: int
    hidden: int
    vote_events: int
    votes: int
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step
    # The vote tables' foreign keys checked once per distinct value (True), or by the
    # database for every row (False: the role may not set session_replication_role).
    keys_set_based: bool = False


def _ms_to_dt(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _dt_to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _control_character(text: str) -> tuple[int, str] | None:
    """The first control character other than a tab or a line break, with its position."""
    for i, ch in enumerate(text):
        if ch not in "\t\n\r\x85" and unicodedata.category(ch) == "Cc":
            return i + 1, ch
    return None


def _statement_text(records: PolisRecords, comment: Comment) -> str:
    """The comment as a statement: line breaks of any spelling become ``\\n``
    (:func:`participate.text.clean_text`); a NUL or another control character is refused,
    as on the site and in the API, and so is a comment that shows nothing."""
    where = {"row": comment.row, "line": comment.line, "column": "comment-body"}
    found = _control_character(comment.text)
    if found is not None:
        position, ch = found
        raise PolisFormatError(
            "control_character",
            records.comments_file,
            **where,
            codepoint=f"U+{ord(ch):04X}",
            position=position,
        )
    text = clean_text(comment.text, multiline=True)
    if is_blank(text):
        raise PolisFormatError("blank_comment", records.comments_file, **where)
    return text


def describe(exc: PolisFormatError) -> str:
    """The one-line message for the operator, in their language: where (file, row, line,
    column), then what is wrong."""
    d = exc.detail
    where = exc.file
    if exc.row is not None:
        where = _("%(where)s, row %(row)d", where=where, row=exc.row)
        if exc.line is not None and exc.line != exc.row:
            where = _("%(where)s (line %(line)d)", where=where, line=exc.line)
    if exc.column is not None:
        where = _("%(where)s, column %(column)s", where=where, column=exc.column)
    messages: dict[str, Callable[[], str]] = {
        "missing_file": lambda: _("the file is missing"),
        "unreadable": lambda: _("the file cannot be read: %(reason)s", reason=d["reason"]),
        "encoding": lambda: (
            _(
                "not valid %(encoding)s at line %(line)d (byte %(byte)d); try --encoding "
                "%(suggestion)s",
                encoding=d["encoding"],
                line=exc.line,
                byte=d["byte"],
                suggestion=d["suggestion"],
            )
            if d.get("suggestion")
            else _(
                "not valid %(encoding)s at line %(line)d (byte %(byte)d); give the file's "
                "encoding with --encoding",
                encoding=d["encoding"],
                line=exc.line,
                byte=d["byte"],
            )
        ),
        "empty": lambda: _("the file is empty (no header row)"),
        "no_rows": lambda: _("the file has a header but no rows"),
        "nul_header": lambda: _(
            "the header contains NUL characters; the file is probably UTF-16 "
            "(try --encoding utf-16-le or utf-16-be)"
        ),
        "unclosed_quote": lambda: _(
            "a quoted field is still open at the end of the file (was the file cut short?)"
        ),
        "bad_csv": lambda: _("this is not valid CSV: %(reason)s", reason=d["reason"]),
        "duplicate_column": lambda: _("the header names this column twice"),
        "missing_column": lambda: (
            _(
                "no such column (the header has: %(found)s); did you mean %(suggestion)s?",
                found=", ".join(d["found"]),
                suggestion=d["suggestion"],
            )
            if d.get("suggestion")
            else _("no such column (the header has: %(found)s)", found=", ".join(d["found"]))
        ),
        "short_row": lambda: _(
            "%(fields)d fields where the header has %(expected)d (was the file cut short?)", **d
        ),
        "long_row": lambda: _("%(fields)d fields where the header has %(expected)d", **d),
        "missing_value": lambda: _("the cell is empty; a value is needed"),
        "not_integer": lambda: _("%(value)s is not a whole number", value=d["value"]),
        "out_of_range": lambda: _("%(value)s is out of range (%(minimum)d to %(maximum)d)", **d),
        "vote_value": lambda: _(
            "%(value)s is not a vote (1 agree, -1 disagree, 0 pass)", value=d["value"]
        ),
        "moderated_value": lambda: _(
            "%(value)s is not a moderation status (1, 0 or -1)", value=d["value"]
        ),
        "duplicate_id": lambda: _("%(value)d appears twice (first in row %(first_row)d)", **d),
        "unknown_comment": lambda: _("comment %(value)d is not in comments.csv", value=d["value"]),
        "unknown_participant": lambda: _(
            "participant %(value)d is not in participants-votes.csv", value=d["value"]
        ),
        "control_character": lambda: _(
            "control character %(codepoint)s at character %(position)d; remove it from the comment",
            **d,
        ),
        "blank_comment": lambda: _("the comment is empty or shows nothing"),
    }
    what = messages[exc.problem]() if exc.problem in messages else str(exc)
    return _("%(where)s: %(what)s", where=where, what=what)


def import_polis(
    folder: str | Path,
    proposal: Proposal,
    actor: User | None = None,
    encoding: str = "utf-8",
    exclusive: bool = False,
) -> ImportResult:
    """Load a Pol.is export into the proposal's discussion (which must not hold statements).

    Every file is read and checked before anything is written (:func:`polis_bulk.
    read_export`: the checks of :func:`nlp.polis_io.read_records`, as whole arrays when it
    can; then the comment texts): the first problem raises :class:`PolisFormatError`.
    Writes and flushes; the command (or test) around it commits, so nothing is left behind
    when it fails. The votes are handled as arrays and written in bulk
    (:func:`polis_bulk.write_rows`: binary COPY on PostgreSQL), never as one Python object
    per vote. By default the foreign keys are checked once per distinct value instead of
    once per row where the database role may (:func:`polis_bulk.keys_checked_once`; 2M
    votes in under a minute, other discussions' votes untouched); the indexes are kept up
    to date row by row. ``exclusive``: on PostgreSQL, the vote tables' keys and indexes
    are dropped, then checked and built once at the end (:func:`polis_bulk.bulk_load`:
    faster still, but the site's vote and account tables are locked until the import
    commits)."""
    folder = Path(folder)
    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        clock.append(time.perf_counter())
        timings[step] = round(clock[-1] - clock[-2], 2)

    data = polis_bulk.read_export(folder, encoding)
    records = PolisRecords(data.comments_file, data.comments, [], None, wide_votes=False)
    texts = {c.id: _statement_text(records, c) for c in data.comments}
    discussion = get_or_create_discussion(proposal)
    existing = db.session.scalar(
        select(func.count()).select_from(Statement).where(Statement.discussion_id == discussion.id)
    )
    if existing:
        raise RuleError(
            _(
                "The discussion of proposal %(id)d already has %(n)d statements.",
                id=proposal.id,
                n=existing,
            ),
            status=409,
        )
    now = utcnow()

    # Events in time order, file order among equal times.
    order = np.argsort(data.timestamp, kind="stable")
    ms, voter, value = data.timestamp[order], data.voter[order], data.value[order]
    comments = sorted(data.comments, key=lambda c: c.id)
    cids = np.fromiter((c.id for c in comments), np.int64, len(comments))
    authors = np.fromiter((c.author for c in comments if c.author is not None), np.int64)
    pids = np.union1d(voter, authors)
    p_index = np.searchsorted(pids, voter)
    c_index = np.searchsorted(cids, data.comment[order])
    del order

    # The current vote of each (participant, comment): its last event; created when first cast.
    key = p_index * cids.size + c_index
    _keys, first = np.unique(key, return_index=True)
    _keys, last_rev = np.unique(key[::-1], return_index=True)
    last = key.size - 1 - last_rev
    del key, _keys, last_rev
    current = value[last]
    tally = {v: np.bincount(c_index[last][current == v], minlength=cids.size) for v in (1, -1, 0)}

    lap("read")
    with polis_bulk.keys_checked_once([User.__table__, PolisParticipant.__table__]):
        uids = _placeholder_accounts(pids, now)
        polis_bulk.write_rows(
            PolisParticipant.__table__,
            {"discussion_id": discussion.id, "polis_pid": pids, "user_id": uids},
        )
    user_of = dict(zip(pids.tolist(), uids.tolist(), strict=True))

    lap("accounts")
    statement_rows = []
    hidden = 0
    for i, c in enumerate(comments):
        status = ContentStatus.VISIBLE
        if c.moderated == -1:
            status = ContentStatus.HIDDEN
            hidden += 1
        statement_rows.append(
            {
                "discussion_id": discussion.id,
                "author_id": user_of[c.author] if c.author is not None else None,
                "text": texts[c.id],
                "is_seed": False,
                "status": status,
                "created_at": _ms_to_dt(c.timestamp),
                "agree_count": int(tally[1][i]),
                "disagree_count": int(tally[-1][i]),
                "pass_count": int(tally[0][i]),
                "reply_count": 0,
                "polis_id": c.id,
            }
        )
    statement_ids = db.session.scalars(
        insert(Statement).returning(Statement.id, sort_by_parameter_order=True), statement_rows
    ).all()
    sids = np.asarray(statement_ids, dtype=np.int64)

    participant = uids[p_index]
    statement = sids[c_index]
    del p_index, c_index
    lap("statements")
    tables = [VoteHistory.__table__, Vote.__table__]
    keys_set_based = exclusive  # checked once at the end by bulk_load
    if exclusive:
        with polis_bulk.bulk_load(tables):
            _write_votes(discussion.id, statement, participant, value, ms, first, last, lap)
    else:
        with polis_bulk.keys_checked_once(tables) as keys_set_based:
            _write_votes(discussion.id, statement, participant, value, ms, first, last, lap)
    del statement, participant
    lap("votes_indexes")
    polis_bulk.refresh_statistics([*tables, User.__table__])
    lap("statistics")
    audit.record(
        actor,
        "discussion.import_polis",
        "discussion",
        discussion.id,
        source=folder.name,
        statements=len(statement_ids),
        votes=int(ms.size),
    )
    db.session.flush()
    # Written in bulk, past any operation: the statements are indexed once it is committed.
    outbox.add(search.index_discussion, discussion.id)
    return ImportResult(
        discussion_id=discussion.id,
        participants=int(pids.size),
        statements=len(statement_ids),
        hidden=hidden,
        vote_events=int(ms.size),
        votes=int(last.size),
        timings=timings,
        keys_set_based=keys_set_based,
    )


def _placeholder_accounts(pids: np.ndarray, now: datetime) -> np.ndarray:
    """One pseudonymous account per Pol.is participant (no email, no password: nobody can
    log in as them); their ids, in ``pids`` order. PostgreSQL: ids reserved from the
    sequence and the rows sent by COPY; elsewhere: ``INSERT ... RETURNING`` in batches."""
    ids = polis_bulk.reserve_ids(User.__table__, int(pids.size))
    if ids is not None:
        polis_bulk.write_rows(
            User.__table__,
            {
                "id": ids,
                "email": None,
                "display_name": [f"polis-{pid}" for pid in pids.tolist()],
                "password_hash": None,
                "role": Role.CITIZEN.value,
                "created_at": _dt_to_ms(now),
                "session_version": 1,
                "email_digest": False,
            },
            timestamps=("created_at",),
        )
        return ids
    user_ids: list[int] = []
    for chunk in range(0, pids.size, CHUNK):
        user_ids.extend(
            db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {
                        "email": None,
                        "display_name": f"polis-{pid}",
                        "password_hash": None,
                        "role": Role.CITIZEN,
                        "created_at": now,
                        "session_version": 1,
                        "email_digest": False,
                    }
                    for pid in pids[chunk : chunk + CHUNK].tolist()
                ],
            ).all()
        )
    return np.asarray(user_ids, dtype=np.int64)


def _write_votes(
    discussion_id: int,
    statement: np.ndarray,
    participant: np.ndarray,
    value: np.ndarray,
    ms: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
    lap: Callable[[str], None],
) -> None:
    """Every vote event (the history) and the current votes: each current vote is its last
    event, created when its first event was cast."""
    polis_bulk.write_rows(
        VoteHistory.__table__,
        {
            "discussion_id": discussion_id,
            "statement_id": statement,
            "participant_id": participant,
            "value": value,
            "created_at": ms,
        },
        timestamps=("created_at",),
    )
    lap("vote_history")
    # Current votes by participant (each one's in the order first cast): the unique
    # (participant, statement) index and the (discussion, participant) one then grow at one
    # place instead of at random, a third less work for the database at 1.9M votes.
    by_participant = np.lexsort((first, participant[last]))
    first, last = first[by_participant], last[by_participant]
    polis_bulk.write_rows(
        Vote.__table__,
        {
            "discussion_id": discussion_id,
            "statement_id": statement[last],
            "participant_id": participant[last],
            "value": value[last],
            "created_at": ms[first],
            "updated_at": ms[last],
        },
        timestamps=("created_at", "updated_at"),
    )
    lap("votes")


def _polis_datetime(dt: datetime) -> str:
    dt = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def export_polis(
    discussion: Discussion, folder: str | Path, include_hidden: bool = False
) -> dict[str, int]:
    """Write comments.csv, votes.csv, participants-votes.csv, summary.csv and
    stats-history.csv for ``discussion`` into ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    statements = list(
        db.session.execute(
            select(
                Statement.id,
                Statement.polis_id,
                Statement.author_id,
                Statement.text,
                Statement.created_at,
                Statement.status,
            )
            .where(Statement.discussion_id == discussion.id)
            .order_by(Statement.id)
        )
    )
    if not include_hidden:
        statements = [s for s in statements if s.status == ContentStatus.VISIBLE]
    next_cid = max((s.polis_id for s in statements if s.polis_id is not None), default=-1) + 1
    cid_of: dict[int, int] = {}
    for s in statements:
        if s.polis_id is not None:
            cid_of[s.id] = s.polis_id
        else:
            cid_of[s.id] = next_cid
            next_cid += 1

    mapped = dict(
        db.session.execute(
            select(PolisParticipant.user_id, PolisParticipant.polis_pid).where(
                PolisParticipant.discussion_id == discussion.id
            )
        ).all()
    )
    next_pid = max(mapped.values(), default=-1) + 1
    pid_of: dict[int, int] = dict(mapped)

    def pid(user_id: int | None) -> int | None:
        nonlocal next_pid
        if user_id is None:
            return None
        if user_id not in pid_of:
            pid_of[user_id] = next_pid
            next_pid += 1
        return pid_of[user_id]

    events = db.session.execute(
        select(
            VoteHistory.statement_id,
            VoteHistory.participant_id,
            VoteHistory.value,
            VoteHistory.created_at,
        )
        .where(VoteHistory.discussion_id == discussion.id)
        .order_by(VoteHistory.created_at, VoteHistory.id)
    ).all()
    events = [e for e in events if e.statement_id in cid_of]
    agrees: Counter[int] = Counter()
    disagrees: Counter[int] = Counter()
    latest: dict[tuple[int, int], int] = {}
    with (folder / "votes.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        for e in events:
            voter = pid(e.participant_id)
            cid = cid_of[e.statement_id]
            out.writerow(
                [_dt_to_ms(e.created_at), _polis_datetime(e.created_at), cid, voter, e.value]
            )
            if e.value == 1:
                agrees[cid] += 1
            elif e.value == -1:
                disagrees[cid] += 1
            latest[(voter, cid)] = e.value

    authored: Counter[int] = Counter()
    with (folder / "comments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ]
        )
        for s in sorted(statements, key=lambda s: s.created_at, reverse=True):
            cid = cid_of[s.id]
            author = pid(s.author_id)
            if author is not None:
                authored[author] += 1
            out.writerow(
                [
                    _dt_to_ms(s.created_at),
                    _polis_datetime(s.created_at),
                    cid,
                    "" if author is None else author,
                    agrees[cid],
                    disagrees[cid],
                    1 if s.status == ContentStatus.VISIBLE else -1,
                    s.text,
                ]
            )

    cids = sorted(cid_of.values())
    with (folder / "participants-votes.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(
            ["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *cids]
        )
        by_voter: dict[int, dict[int, int]] = {}
        for (voter, cid), value in latest.items():
            by_voter.setdefault(voter, {})[cid] = value
        for voter in sorted(set(by_voter) | set(authored)):
            row = by_voter.get(voter, {})
            vals = list(row.values())
            out.writerow(
                [
                    voter,
                    "",
                    authored[voter],
                    len(vals),
                    vals.count(1),
                    vals.count(-1),
                    *(row.get(c, "") for c in cids),
                ]
            )

    proposal = discussion.proposal
    with (folder / "summary.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["topic", proposal.title])
        out.writerow(["url", ""])
        out.writerow(["views", ""])
        out.writerow(["voters", len(by_voter)])
        out.writerow(["voters-in-conv", len(by_voter)])
        out.writerow(["commenters", len(authored)])
        out.writerow(["comments", len(statements)])
        out.writerow(["groups", ""])
        out.writerow(["conversation-description", proposal.summary or ""])

    with (folder / "stats-history.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["n-votes", "n-comments", "n-visitors", "n-voters", "n-commenters"])
        out.writerow([len(events), len(statements), len(by_voter), len(events), len(statements)])
    return {"statements": len(statements), "vote_events": len(events), "voters": len(by_voter)}
