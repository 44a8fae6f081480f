"""Helpers for the report tests: a discussion with two clear opinion camps, voted through the
discussion area's real vote operation (so its analysis request, an outbox effect, runs after
the commit as in production)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import select

from participate.extensions import db
from participate.models import (
    Proposal,
    ProposalKind,
    ProposalStatus,
    Role,
    Statement,
    User,
)
from participate.models.discussion import get_or_create_discussion

# Two camps on ride-hailing: the first half of the statements pleases camp A, the second
# half camp B; the last two everyone agrees with.
TEXTS = [
    "Uber 應該和計程車一樣投保乘客責任保險",
    "網路叫車平台必須向交通部登記並依法納稅",
    "司機應該具備職業駕照並通過良民證審查",
    "計程車費率應該開放彈性定價",
    "多元計程車方案能保障消費者權益",
    "共享經濟不該被既有的計程車法規綁住",
    "政府不應限制私家車載客賺外快",
    "乘客自己選擇叫車平台，政府少管",
    "叫車平台的資料應該公開給主管機關以保障安全",
    "發生事故時乘客必須能獲得合理賠償",
]
CAMP_A = range(0, 5)
CAMP_B = range(5, 8)
EVERYONE = range(8, 10)


@dataclass
class Camps:
    proposal_id: int
    discussion_id: int
    statement_ids: list[int]
    user_ids: list[int]
    camp_a: list[int]
    camp_b: list[int]


def make_proposal(app: Flask, title: str = "網路叫車服務管理") -> tuple[int, int]:
    with app.app_context():
        proposal = Proposal(title=title, kind=ProposalKind.CONSULTATION, status=ProposalStatus.OPEN)
        db.session.add(proposal)
        db.session.flush()
        discussion = get_or_create_discussion(proposal)
        db.session.commit()
        return proposal.id, discussion.id


def make_people(app: Flask, n: int, prefix: str = "voter") -> list[int]:
    from participate.timeutil import utcnow

    with app.app_context():
        now = utcnow()
        people = [
            User(
                email=f"{prefix}{i}-{random.random():.8f}@example.tw",
                display_name=f"{prefix}{i}",
                role=Role.CITIZEN,
                email_verified_at=now,
                privacy_accepted_at=now,
            )
            for i in range(n)
        ]
        db.session.add_all(people)
        db.session.commit()
        return [p.id for p in people]


def cast(app: Flask, user_id: int, statement_id: int, value: int) -> None:
    """One vote through the discussion area's operation, committed by a unit of work as a
    request would (so its side effects, the analysis request, run after the commit)."""
    from participate.boundary import unit
    from participate.discussion import operations, queries

    with app.app_context():
        with unit():
            user = db.session.get(User, user_id)
            statement = queries.load_statement(statement_id)
            operations.vote(user, statement, value)
        db.session.remove()


def camp_votes(camps: Camps, seed: int = 7) -> list[tuple[int, int, int]]:
    """(user, statement, value) for everyone: each camp agrees with its statements and
    disagrees with the other camp's, with a little noise (passes)."""
    rng = random.Random(seed)
    votes = []
    for uid in camps.user_ids:
        in_a = uid in camps.camp_a
        for i, sid in enumerate(camps.statement_ids):
            if i in EVERYONE:
                value = 1
            elif (i in CAMP_A) == in_a:
                value = 1
            else:
                value = -1
            if rng.random() < 0.08:
                value = 0
            votes.append((uid, sid, value))
    return votes


def bulk_votes(app: Flask, discussion_id: int, votes: list[tuple[int, int, int]]) -> None:
    """Votes written in bulk, counters included, without an analysis request (fast setup)."""
    from sqlalchemy import insert, update

    from participate.models import Vote, VoteHistory

    rows = [
        {"discussion_id": discussion_id, "participant_id": u, "statement_id": s, "value": v}
        for u, s, v in votes
    ]
    with app.app_context():
        db.session.execute(insert(VoteHistory), rows)
        db.session.execute(insert(Vote), rows)
        tally: dict[int, list[int]] = {}
        for _u, sid, v in votes:
            t = tally.setdefault(sid, [0, 0, 0])
            t[{1: 0, -1: 1, 0: 2}[v]] += 1
        for sid, (a, d, p) in tally.items():
            db.session.execute(
                update(Statement)
                .where(Statement.id == sid)
                .values(
                    agree_count=Statement.agree_count + a,
                    disagree_count=Statement.disagree_count + d,
                    pass_count=Statement.pass_count + p,
                )
            )
        db.session.commit()


def make_camps(app: Flask, people: int = 24, vote: bool = True, via_rule: bool = False) -> Camps:
    proposal_id, discussion_id = make_proposal(app)
    with app.app_context():
        items = [Statement(discussion_id=discussion_id, text=t) for t in TEXTS]
        db.session.add_all(items)
        db.session.commit()
        sids = [s.id for s in items]
    uids = make_people(app, people)
    half = people // 2 + 2  # unequal camps, so sizes identify them
    camps = Camps(proposal_id, discussion_id, sids, uids, uids[:half], uids[half:])
    if vote and via_rule:
        for uid, sid, value in camp_votes(camps):
            cast(app, uid, sid, value)
    elif vote:
        bulk_votes(app, discussion_id, camp_votes(camps))
    return camps


def statement_ids(app: Flask, discussion_id: int) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Statement.id)
                .where(Statement.discussion_id == discussion_id)
                .order_by(Statement.id)
            )
        )
