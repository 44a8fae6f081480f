"""Keeping and deleting one's own participant profile (policy, write, flush, audit)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import delete, update

from participate import audit, policy
from participate.errors import RuleError
from participate.extensions import db
from participate.models import ParticipantProfile, SurveyResponse, User
from participate.participants import population as pop
from participate.timeutil import utcnow


@dataclass(frozen=True)
class ProfileInput:
    """Every field optional: None (or "") means "I'd rather not say"."""

    age_band: str | None = None
    sex: str | None = None
    county: str | None = None
    groups: tuple[str, ...] = ()
    consent: bool = False


def _choice(value: str | None, allowed: tuple[str, ...], field: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise RuleError(_("Choose one of the listed answers."), field=field)
    return value


def save_profile(user: User, data: ProfileInput) -> ParticipantProfile:
    """Give or change the profile. The first time needs the consent box ticked after the
    purpose statement (Personal Data Protection Act, art. 8)."""
    if not policy.can_keep_profile(user):
        raise RuleError(_("Confirm your email address first."), status=403)
    profile = db.session.get(ParticipantProfile, user.id)
    if profile is None and not data.consent:
        raise RuleError(
            _("Tick the box to agree to the purpose stated above, or leave the page."),
            field="consent",
        )
    age_band = _choice(data.age_band, pop.PROFILE_AGE_BANDS, "age_band")
    sex = _choice(data.sex, pop.PROFILE_SEXES, "sex")
    county = _choice(data.county, tuple(pop.COUNTIES), "county")
    unknown = set(data.groups) - set(pop.IDENTITY_GROUPS)
    if unknown:
        raise RuleError(_("Choose one of the listed answers."), field="groups")
    now = utcnow()
    if profile is None:
        profile = ParticipantProfile(user_id=user.id, consented_at=now)
        db.session.add(profile)
    profile.age_band, profile.sex, profile.county = age_band, sex, county
    for group in pop.IDENTITY_GROUPS:
        setattr(profile, group, group in data.groups)
    profile.updated_at = now
    db.session.flush()
    audit.record(user, "profile.save", "user", user.id)
    return profile


def delete_profile(user: User) -> bool:
    """Delete the profile now; returns whether there was one. Copies kept with the answers
    of *linked* surveys go too; those of unlinked surveys cannot be found (that is what
    unlinked means) and stay, as anonymous answers."""
    if not policy.can_delete_profile(user):
        raise RuleError(_("Log in first."), status=401)
    erase(user)
    audit.record(user, "profile.delete", "user", user.id)
    return True


def erase(user: User) -> None:
    """The profile and its copies in linked survey responses (flushes; also run on account
    deletion)."""
    db.session.execute(delete(ParticipantProfile).where(ParticipantProfile.user_id == user.id))
    db.session.execute(
        update(SurveyResponse)
        .where(SurveyResponse.user_id == user.id)
        .values(age_band=None, sex=None, county=None, groups="")
    )
    db.session.flush()
