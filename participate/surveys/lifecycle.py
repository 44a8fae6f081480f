"""A survey's statuses and the one function that changes them.

draft ──open──► open ──close (by staff, or the closing time passing)──► closed

A survey stored as open whose closing time has passed *is* closed for every rule and page
(:func:`effective_status`); :func:`transition` records it when someone next acts on it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from participate.errors import RuleError
from participate.models import Survey, SurveyStatus
from participate.timeutil import aware, utcnow

S = SurveyStatus
ALLOWED: dict[SurveyStatus, set[SurveyStatus]] = {
    S.DRAFT: {S.OPEN},
    S.OPEN: {S.CLOSED},
    S.CLOSED: set(),
}


def effective_status(survey: Survey, now: datetime | None = None) -> SurveyStatus:
    now = aware(now) or utcnow()
    closes = aware(survey.closes_at)
    if survey.status == S.OPEN and closes is not None and closes <= now:
        return S.CLOSED
    return survey.status


def is_open(survey: Survey, now: datetime | None = None) -> bool:
    return effective_status(survey, now) == S.OPEN


def is_closed(survey: Survey, now: datetime | None = None) -> bool:
    return effective_status(survey, now) == S.CLOSED


def transition(survey: Survey, to: SurveyStatus, now: datetime | None = None) -> None:
    """Move ``survey`` to ``to`` or refuse; stamps the time of the move."""
    now = now or utcnow()
    if to not in ALLOWED[survey.status]:
        raise RuleError(_("The survey cannot change to that status now."), status=409)
    survey.status = to
    if to == S.OPEN:
        survey.opened_at = now
    elif to == S.CLOSED:
        closes = aware(survey.closes_at)
        survey.closed_at = closes if closes is not None and closes <= now else now
