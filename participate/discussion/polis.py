"""Import and export a discussion in the Pol.is export format (comments.csv, votes.csv, ...).

Import: every Pol.is participant becomes a pseudonymous placeholder account (display name
``polis-<pid>``, no email, no password, so nobody can log in as them), mapped through
``PolisParticipant`` so an export writes the original ids back. Rejected comments
(``moderated = -1``) are imported hidden. ``votes.csv`` rows become vote history (every
event, in order) and the last vote per (participant, comment) becomes the current vote.
Everything is inserted in bulk in one transaction: the 50,000 votes of vTaiwan UberX take
seconds.

Export: the same five files. Participants are pseudonymised (imported ones keep their Pol.is
id, others get new small ids in order of first vote); hidden content is left out unless
``include_hidden``. Vote sign as in Pol.is exports: agree = 1, disagree = -1, pass = 0.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update

from participate import audit, outbox, search
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
from participate.timeutil import utcnow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CHUNK = 5000


class PolisFormatError(ValueError):
    """The folder is not a Pol.is export we can read (missing file or column)."""


@dataclass
class ImportResult:
    discussion_id: int
    participants: int
    statements: int
    hidden: int
    vote_events: int
    votes: int


def _ms_to_dt(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def _dt_to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _int(raw: str | None, default: int = 0) -> int:
    raw = (raw or "").strip()
    return int(float(raw)) if raw else default


def _read(path: Path, required: set[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise PolisFormatError(f"{path.name} not found in {path.parent}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise PolisFormatError(f"{path.name} lacks columns: {', '.join(sorted(missing))}")
        return list(reader)


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK] for i in range(0, len(rows), CHUNK)]


def import_polis(folder: str | Path, proposal: Proposal, actor: User | None = None) -> ImportResult:
    """Load a Pol.is export into the proposal's discussion (which must not hold statements).
    Writes and flushes; the command (or test) around it commits, so a bad file half-way
    leaves nothing behind."""
    folder = Path(folder)
    comments = _read(
        folder / "comments.csv", {"timestamp", "comment-id", "author-id", "comment-body"}
    )
    votes = _read(folder / "votes.csv", {"timestamp", "comment-id", "voter-id", "vote"})
    discussion = get_or_create_discussion(proposal)
    existing = db.session.scalar(
        select(func.count()).select_from(Statement).where(Statement.discussion_id == discussion.id)
    )
    if existing:
        raise PolisFormatError(
            f"the discussion of proposal {proposal.id} already has {existing} statements"
        )
    now = utcnow()

    events: list[tuple[int, int, int, int, int]] = []  # (ms, order, pid, cid, value)
    for order, row in enumerate(votes):
        value = _int(row["vote"])
        if value not in (1, -1, 0):
            raise PolisFormatError(f"votes.csv row {order + 2}: vote {value} is not 1, -1 or 0")
        events.append(
            (_int(row["timestamp"]), order, _int(row["voter-id"]), _int(row["comment-id"]), value)
        )
    events.sort()
    pids = sorted({e[2] for e in events} | {_int(c["author-id"], -1) for c in comments} - {-1})

    # Placeholder accounts, one per Pol.is participant, inserted in bulk.
    user_rows = [
        {
            "email": None,
            "display_name": f"polis-{pid}",
            "password_hash": None,
            "role": Role.CITIZEN,
            "created_at": now,
            "session_version": 1,
            "email_digest": False,
        }
        for pid in pids
    ]
    user_ids: list[int] = []
    for chunk in _chunks(user_rows):
        user_ids.extend(
            db.session.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True), chunk
            ).all()
        )
    user_of = dict(zip(pids, user_ids, strict=True))
    db.session.execute(
        insert(PolisParticipant),
        [
            {"discussion_id": discussion.id, "polis_pid": pid, "user_id": uid}
            for pid, uid in user_of.items()
        ],
    )

    statement_rows = []
    hidden = 0
    for c in sorted(comments, key=lambda c: _int(c["comment-id"])):
        status = ContentStatus.VISIBLE
        if (c.get("moderated") or "").strip() == "-1":
            status = ContentStatus.HIDDEN
            hidden += 1
        author = _int(c["author-id"], -1)
        statement_rows.append(
            {
                "discussion_id": discussion.id,
                "author_id": user_of.get(author),
                "text": c["comment-body"],
                "is_seed": False,
                "status": status,
                "created_at": _ms_to_dt(_int(c["timestamp"])),
                "agree_count": 0,
                "disagree_count": 0,
                "pass_count": 0,
                "reply_count": 0,
                "polis_id": _int(c["comment-id"]),
            }
        )
    statement_ids = db.session.scalars(
        insert(Statement).returning(Statement.id, sort_by_parameter_order=True), statement_rows
    ).all()
    statement_of = {
        row["polis_id"]: sid for row, sid in zip(statement_rows, statement_ids, strict=True)
    }
    unknown = {e[3] for e in events} - statement_of.keys()
    if unknown:
        raise PolisFormatError(f"votes.csv refers to unknown comment ids: {sorted(unknown)[:5]}")

    history = []
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    for ms, _order, pid, cid, value in events:
        history.append(
            {
                "discussion_id": discussion.id,
                "statement_id": statement_of[cid],
                "participant_id": user_of[pid],
                "value": value,
                "created_at": _ms_to_dt(ms),
            }
        )
        latest[(pid, cid)] = (ms, value)
    for chunk in _chunks(history):
        db.session.execute(insert(VoteHistory), chunk)
    first_seen: dict[tuple[int, int], int] = {}
    for ms, _order, pid, cid, _value in events:
        first_seen.setdefault((pid, cid), ms)
    vote_rows = [
        {
            "discussion_id": discussion.id,
            "statement_id": statement_of[cid],
            "participant_id": user_of[pid],
            "value": value,
            "created_at": _ms_to_dt(first_seen[(pid, cid)]),
            "updated_at": _ms_to_dt(ms),
        }
        for (pid, cid), (ms, value) in latest.items()
    ]
    for chunk in _chunks(vote_rows):
        db.session.execute(insert(Vote), chunk)

    tally: Counter[tuple[int, int]] = Counter(
        (statement_of[cid], value) for (_pid, cid), (_ms, value) in latest.items()
    )
    db.session.execute(
        update(Statement),
        [
            {
                "id": sid,
                "agree_count": tally[(sid, 1)],
                "disagree_count": tally[(sid, -1)],
                "pass_count": tally[(sid, 0)],
            }
            for sid in statement_ids
        ],
    )
    audit.record(
        actor,
        "discussion.import_polis",
        "discussion",
        discussion.id,
        source=folder.name,
        statements=len(statement_ids),
        votes=len(history),
    )
    db.session.flush()
    # Written in bulk, past any operation: the statements are indexed once it is committed.
    outbox.add(search.index_discussion, discussion.id)
    return ImportResult(
        discussion_id=discussion.id,
        participants=len(pids),
        statements=len(statement_ids),
        hidden=hidden,
        vote_events=len(history),
        votes=len(vote_rows),
    )


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
