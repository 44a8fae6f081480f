"""Who took part in a discussion, and its report's figures weighted to Taiwan's population.

Added to the opinion report beside what it already shows (nothing there changes): the
voters' profiles against the population (:mod:`participate.participants.weighting`), each
statement's agree share weighted by the voters' raking weights next to the unweighted one,
and each opinion group's size weighted. The groups themselves stay as the analysis found
them: weighting changes how much each voter counts, never who is in which group.

Read per request from the votes of voters *with a profile* only (the weighted figures rest
on them), so a discussion where nobody gave a profile costs one small query; the number of
participants is the number of voters the analysis read. Figures
resting on fewer than 5 weighted voters are not shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from nlp.disclosure import THRESHOLD
from nlp.raking import effective_sample_size
from participate.extensions import db
from participate.models import ParticipantProfile, Vote
from participate.participants.queries import respondents_for
from participate.participants.weighting import Representation, representation


@dataclass(frozen=True)
class WeightedShare:
    value: float  # weighted agree share among weighted voters who saw the statement
    voters: int  # weighted voters who voted on it
    effective_n: float


@dataclass
class ReportRepresentation:
    rep: Representation
    agree: dict[int, WeightedShare] = field(default_factory=dict)  # statement id -> share
    group_share: dict[int, float] = field(default_factory=dict)  # group id -> weighted share

    @property
    def weighted(self) -> bool:
        return self.rep.weighting.available


def build(discussion_id: int, report: Any) -> ReportRepresentation:
    """Bounded by the profiles, never by the votes: the voters *with a profile* (one query
    over the profiles, each checked for a vote in the discussion through the vote index),
    and the number of voters the analysis read (in its result; counted from the votes only
    for an old result without it). At 33,000 voters and 2M votes, reading every voter per
    request took most of the page's time."""
    voted = (
        select(Vote.id)
        .where(Vote.participant_id == ParticipantProfile.user_id)
        .where(Vote.discussion_id == discussion_id)
        .exists()
    )
    profiled = list(db.session.scalars(select(ParticipantProfile.user_id).where(voted)))
    platform = (getattr(report, "result", None) or {}).get("platform") or {}
    total = platform.get("voters")
    if total is None:
        total = db.session.scalar(
            select(func.count(Vote.participant_id.distinct())).where(
                Vote.discussion_id == discussion_id
            )
        )
    rep = representation(respondents_for(profiled), total=int(total or 0))
    out = ReportRepresentation(rep)
    weights = rep.weighting.weights if rep.weighting.available else {}
    if not weights:
        return out
    sums: dict[int, list[Any]] = {}
    ids = list(weights)
    for start in range(0, len(ids), 900):
        rows = db.session.execute(
            select(Vote.participant_id, Vote.statement_id, Vote.value).where(
                Vote.discussion_id == discussion_id,
                Vote.participant_id.in_(ids[start : start + 900]),
            )
        )
        for uid, sid, value in rows:
            entry = sums.setdefault(sid, [0.0, []])
            w = weights[uid]
            entry[1].append(w)
            if value == 1:
                entry[0] += w
    for sid, (agree, ws) in sums.items():
        if len(ws) < THRESHOLD or sid not in report.statements:
            continue
        out.agree[sid] = WeightedShare(agree / sum(ws), len(ws), effective_sample_size(ws))
    members: dict[int, list[float]] = {}
    for g in report.result.get("groups") or []:
        members[int(g["id"])] = [weights[m] for m in g.get("members") or [] if m in weights]
    total = sum(sum(ws) for ws in members.values())
    for gid, ws in members.items():
        if len(ws) >= THRESHOLD and total:
            out.group_share[gid] = sum(ws) / total
    return out
