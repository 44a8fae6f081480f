"""What the survey area holds about a person, for "download my data", and what happens to
it when the account is deleted.

A linked survey's answers are the person's and are exported; an unlinked survey's cannot
be found (only the fact of having answered is kept, and exported). On deletion, linked
answers are unlinked (they stay counted, anonymously, like votes) and the profile copies
kept with them are erased (``participate.participants``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from participate.extensions import db
from participate.models import Survey, SurveyParticipation, SurveyResponse, User


def personal_data(user: User) -> tuple[str, Any]:
    participations = db.session.execute(
        select(SurveyParticipation.survey_id, Survey.title, Survey.anonymous)
        .join(Survey, Survey.id == SurveyParticipation.survey_id)
        .where(SurveyParticipation.user_id == user.id)
        .order_by(SurveyParticipation.id)
    ).all()
    linked = db.session.scalars(
        select(SurveyResponse).where(SurveyResponse.user_id == user.id)
    ).all()
    return "surveys", {
        "answered": [
            {"survey_id": sid, "title": title, "answers_unlinked": bool(anon)}
            for sid, title, anon in participations
        ],
        "linked_answers": [
            {
                "survey_id": r.survey_id,
                "submitted_on": r.submitted_on.isoformat(),
                "answers": {
                    str(a.question_id): (a.text if a.text is not None else a.value)
                    for a in r.answers
                },
                "profile_copy": {
                    "age_band": r.age_band,
                    "sex": r.sex,
                    "county": r.county,
                    "groups": [g for g in (r.groups or "").split(",") if g],
                },
            }
            for r in linked
        ],
    }


def on_account_deletion(user: User) -> None:
    """``account_deleting``: linked answers lose their account (and their profile copy)."""
    db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.user_id == user.id)
        .values(user_id=None, age_band=None, sex=None, county=None, groups="")
    )
    db.session.flush()
