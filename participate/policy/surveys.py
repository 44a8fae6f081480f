"""Who may build, answer and read surveys, and keep a participant profile.

Surveys belong to the agency whose staff made them (``Survey.owner_agency_id``): its active
staff, and admins, build, open and close them. Verified, unsuspended accounts answer while
a survey is open; a linked survey's answers may be changed until the close, an unlinked
one's cannot (nothing ties them to the account any more). Results are public once the
survey has closed; while it is open only those who act for it see them, so early figures
do not sway later answers. Exports follow the results.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import gettext as _

from participate.models import Survey, SurveyStatus
from participate.policy.core import (
    acts_for,
    is_admin,
    is_agency_staff,
    is_authenticated,
)
from participate.policy.discussion import Refusal, level_refusal, suspended_message
from participate.surveys.lifecycle import effective_status, is_open
from participate.timeutil import utcnow


def can_create_survey(user: Any, now: datetime | None = None) -> bool:
    """Agency staff (for their agency) and admins."""
    if is_admin(user, now):
        return True
    return is_agency_staff(user, now)


def acts_for_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    """Active staff of the owning agency, or an admin."""
    if is_admin(user, now):
        return True
    return (
        is_agency_staff(user, now)
        and survey.owner_agency_id is not None
        and user.agency_id == survey.owner_agency_id
    )


def can_edit_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    """Questions, sections and the method change only while the survey is a draft: once
    people answer, the questionnaire they answered must stay what it was."""
    return survey.status == SurveyStatus.DRAFT and acts_for_survey(user, survey, now)


def can_open_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    """A draft with at least one question and a method statement."""
    return (
        can_edit_survey(user, survey, now)
        and bool(survey.questions)
        and bool((survey.method or "").strip())
    )


def can_close_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    return is_open(survey, now) and acts_for_survey(user, survey, now)


def can_view_survey(user: Any, survey: Survey) -> bool:
    """Open and closed surveys are public; drafts only to who builds them."""
    return survey.status != SurveyStatus.DRAFT or acts_for_survey(user, survey)


def survey_refusal(user: Any, survey: Survey, now: datetime | None = None) -> Refusal | None:
    """Why ``user`` may not answer ``survey`` now (closed, logged out, unconfirmed,
    suspended), or None."""
    now = now or utcnow()
    if not is_open(survey, now):
        return Refusal("closed", _("This survey is closed. You can read its results."))
    if not is_authenticated(user):
        return Refusal("login_required", _("Log in to answer this survey."), 401)
    if not user.is_verified:
        return Refusal("unverified", _("Confirm your email address to answer this survey."))
    if user.is_suspended(now) or user.deleted_at is not None:
        return Refusal("suspended", suspended_message())
    return level_refusal(user, "answer")


def can_answer_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    return survey_refusal(user, survey, now) is None


def can_change_answers(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    """Only in a linked survey, until it closes."""
    return not survey.anonymous and can_answer_survey(user, survey, now)


def can_view_results(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    if effective_status(survey, now) == SurveyStatus.CLOSED:
        return True
    return survey.status == SurveyStatus.OPEN and acts_for_survey(user, survey, now)


def can_export_survey(user: Any, survey: Survey, now: datetime | None = None) -> bool:
    """The aggregated results (never a single response) as CSV: whoever sees them."""
    return can_view_results(user, survey, now)


def can_attach_survey(user: Any, survey: Survey, target: Any, now: datetime | None = None) -> bool:
    """Hang a survey on a proposal or consultation: those acting for the survey who also
    act for the target (its responsible agencies), or an admin."""
    if not can_edit_survey(user, survey, now):
        return False
    return is_admin(user, now) or acts_for(user, target, now)


# --- The participant profile ---------------------------------------------------------------


def can_keep_profile(user: Any, now: datetime | None = None) -> bool:
    """Give or change one's own profile: any verified account (suspended ones too: the
    profile is about them, not a contribution)."""
    return is_authenticated(user) and user.deleted_at is None and user.is_verified


def can_delete_profile(user: Any) -> bool:
    """Delete one's own profile: always, as long as one is logged in."""
    return is_authenticated(user) and user.deleted_at is None
