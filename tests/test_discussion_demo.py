"""The demo discussions: exact counters, an opinion structure the analysis finds, idempotence,
reproducibility, and that they are browsable and votable."""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import func, select

import nlp
from participate.discussion import demo
from participate.extensions import db
from participate.models import Discussion, Proposal, Reply, Statement, User, Vote, VoteHistory


def _seed_all() -> None:
    """Accounts and agencies as ``flask seed-demo`` makes them, the proposals, then our
    seeder (the report seeder's analyses are the report area's test)."""
    from participate.demo import AGENCIES, DEMO_USERS, get_or_create_agency, get_or_create_user

    agencies = {slug: get_or_create_agency(slug, zh, en) for slug, zh, en in AGENCIES}
    for email, name, role, slug in DEMO_USERS:
        get_or_create_user(email, name, role, agencies.get(slug) if slug else None)
    db.session.commit()
    from participate.proposals.data import seed_demo as seed_proposals

    seed_proposals(lambda _m: None)
    demo.seed_demo(lambda _m: None)


def _totals() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Statement, Reply, Vote, VoteHistory, Discussion)
    }


def test_demo_discussions(app, app_ctx, client):
    _seed_all()
    before = _totals()

    for spec in demo.DEMO_DISCUSSIONS:
        proposal = db.session.scalar(select(Proposal).where(Proposal.title == spec.title))
        discussion = db.session.scalar(
            select(Discussion).where(Discussion.proposal_id == proposal.id)
        )
        statements = list(
            db.session.scalars(select(Statement).where(Statement.discussion_id == discussion.id))
        )
        assert 27 <= len(statements) <= 43
        assert 25 <= len(spec.statements) <= 40 and 2 <= len(spec.seeds) <= 3
        seeds = [s for s in statements if s.is_seed]
        assert len(seeds) == len(spec.seeds)
        assert all(s.author and s.author.email == spec.seed_author_email for s in seeds)
        assert all(len(s.text) <= 300 for s in statements)

        # Counters equal the vote rows, per statement and per value.
        tally = Counter(
            (sid, value)
            for sid, value in db.session.execute(
                select(Vote.statement_id, Vote.value).where(Vote.discussion_id == discussion.id)
            )
        )
        for s in statements:
            assert (s.agree_count, s.disagree_count, s.pass_count) == (
                tally[(s.id, 1)],
                tally[(s.id, -1)],
                tally[(s.id, 0)],
            ), s.text
            assert s.reply_count == db.session.scalar(
                select(func.count()).select_from(Reply).where(Reply.statement_id == s.id)
            )

        # History: every current vote is the last event of its pair; a few votes changed.
        events = db.session.execute(
            select(VoteHistory.participant_id, VoteHistory.statement_id, VoteHistory.value)
            .where(VoteHistory.discussion_id == discussion.id)
            .order_by(VoteHistory.id)
        ).all()
        last = {(p, s): v for p, s, v in events}
        current = {
            (p, s): v
            for p, s, v in db.session.execute(
                select(Vote.participant_id, Vote.statement_id, Vote.value).where(
                    Vote.discussion_id == discussion.id
                )
            )
        }
        assert last == current
        assert len(current) < len(events) < 1.1 * len(current)

        # Sparse voting by 150-300 pseudonymous participants without email or password.
        per_person = Counter(p for p, _s in current)
        assert 120 <= len(per_person) <= 300
        share = np.array(list(per_person.values())) / len(statements)
        assert 0.5 < share.mean() < 0.8 and share.min() >= 0.3
        people = db.session.scalars(select(User).where(User.id.in_(list(per_person)))).all()
        assert all(u.email is None and u.password_hash is None for u in people)
        assert all(u.display_name.startswith("參與者") for u in people)
        assert Counter(v for v in current.values())[0] > 0.05 * len(current)  # some passes

        # The analysis finds the planted groups and the consensus statements.
        result = nlp.analyze(
            [e[0] for e in events],
            [e[1] for e in events],
            [e[2] for e in events],
            statement_texts={s.id: s.text for s in statements},
        )
        assert result.k >= 2
        assert result.clustered >= 0.9 * len(per_person)
        assert len(result.consensus_agree) >= 2
        assert result.divisive

        # Threads: replies nested under replies, with paths in reading order.
        replies = db.session.scalars(
            select(Reply)
            .join(Statement, Statement.id == Reply.statement_id)
            .where(Statement.discussion_id == discussion.id)
        ).all()
        assert len(replies) == len(spec.replies) and max(r.depth for r in replies) >= 1
        for r in replies:
            if r.parent_id:
                parent = db.session.get(Reply, r.parent_id)
                assert r.path.startswith(parent.path + "/") and r.depth == parent.depth + 1

    # A second run adds nothing, nor does the proposals seeder running after ours.
    from participate.proposals.data import seed_demo as seed_proposals

    seed_proposals(lambda _m: None)
    demo.seed_demo(lambda _m: None)
    assert _totals() == before
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.display_name.like("參與者%"))
        )
        == demo.PARTICIPANTS
    )

    # Browsable without logging in; votable by the demo citizen.
    spec = demo.LONG_TERM_CARE
    proposal_id = db.session.scalar(select(Proposal.id).where(Proposal.title == spec.title))
    page = client.get(f"/proposals/{proposal_id}/discussion")
    assert page.status_code == 200
    assert spec.seeds[1][0] in page.get_data(as_text=True)
    from participate.demo import DEMO_PASSWORD

    assert (
        client.post(
            "/auth/login",
            data={"email": "citizen@demo.participate.tw", "password": DEMO_PASSWORD},
        ).status_code
        == 302
    )
    client.csrf_token = None
    card = client.get(f"/proposals/{proposal_id}/discussion/vote")
    assert card.status_code == 200
    seed_id = db.session.scalar(select(Statement.id).where(Statement.text == spec.seeds[0][0]))
    assert f'data-statement="{seed_id}"' in card.get_data(as_text=True)  # seeds come first
    agree_before = db.session.get(Statement, seed_id).agree_count
    resp = client.post(
        f"/discussion/statements/{seed_id}/vote",
        data={"value": "agree"},
        headers={"Accept": "application/json"},
    )
    assert resp.status_code == 200 and resp.get_json()["counts"]["agree"] == agree_before + 1


def test_plan_is_reproducible_and_structured():
    spec = demo.ROAD_SAFETY
    a = demo.plan_votes(spec, demo.PARTICIPANTS, 30 * 86400.0, np.random.default_rng(1))
    b = demo.plan_votes(spec, demo.PARTICIPANTS, 30 * 86400.0, np.random.default_rng(1))
    assert a.events == b.events and a.authors == b.authors
    assert 150 <= a.members.size <= 230

    # Consensus statements ("+++") are agreed by most of every group; divisive ones split.
    group_of = dict(zip(a.members.tolist(), a.groups.tolist(), strict=True))
    stances = [stance for _t, stance in spec.all_statements]
    votes: dict[tuple[int, int], list[int]] = {}
    for member, idx, value, _at in a.final:
        votes.setdefault((idx, group_of[member]), []).append(value)
    for idx, stance in enumerate(stances):
        for g, s in enumerate(stance):
            agree = np.mean(np.array(votes[(idx, g)]) == 1)
            if s == "+":
                assert agree > 0.55, (spec.all_statements[idx][0], g)
            elif s == "-":
                assert agree < 0.4, (spec.all_statements[idx][0], g)
    # Every event is after its statement was posted and before the end of the span.
    offsets = a.statement_offsets
    assert all(offsets[idx] < at < 30 * 86400.0 for _m, idx, _v, at in a.events)
