"""Reads of participant profiles: one person's, and many people's at once (as the coarse
:class:`~participate.participants.weighting.Respondent` the figures need)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from participate.extensions import db
from participate.models import ParticipantProfile
from participate.participants.weighting import Respondent


def profile_of(user_id: int | None) -> ParticipantProfile | None:
    if user_id is None:
        return None
    return db.session.get(ParticipantProfile, user_id)


def as_respondent(profile: ParticipantProfile | None) -> Respondent:
    if profile is None:
        return Respondent()
    return Respondent(profile.age_band, profile.sex, profile.county, tuple(profile.groups))


def respondents_for(user_ids: Iterable[int]) -> dict[int, Respondent]:
    """Every id, with an empty respondent for those without a profile."""
    ids = list(dict.fromkeys(user_ids))
    found: dict[int, Respondent] = dict.fromkeys(ids, Respondent())
    for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
        chunk = ids[start : start + 900]
        for p in db.session.scalars(
            select(ParticipantProfile).where(ParticipantProfile.user_id.in_(chunk))
        ):
            found[p.user_id] = as_respondent(p)
    return found
