"""Identity levels: how sure the site is that an account is one real person, and the level
each action needs.

``none`` < ``email`` (a confirmed address) < ``mobile`` (a verified mobile number, one
account per number) < ``gov`` (a government digital identity linked through OpenID
Connect). The level each action needs comes from ``IDENTITY_LEVELS`` (configuration,
defaults: reading none, commenting, voting and answering email, endorsing and proposing
mobile). Email stays the floor of every write: the areas' own predicates keep asking
:func:`participate.policy.core.is_verified`; a level only adds to it.

:func:`missing_step` names the step a person still has to take ("login", "email",
"mobile", "gov"), so a refusal can say it and a page can send them there.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from participate.extensions import db
from participate.models import EndorsementHold, PhoneNumber
from participate.models.identity import unreleased_hold_on
from participate.policy.core import acts_for, is_authenticated, is_moderator, is_verified
from participate.policy.mfa import has_government_identity

LEVELS = ("none", "email", "mobile", "gov")
RANK = {name: i for i, name in enumerate(LEVELS)}
ACTIONS = ("read", "comment", "vote", "answer", "endorse", "propose")


def required_level(action: str) -> str:
    """The level ``action`` needs on this site (configuration)."""
    return current_app.config["IDENTITY_LEVELS"].get(action, "email")


def has_mobile(user: Any) -> bool:
    """The account has a verified mobile number (one query, unless the request's own query
    read it with the account: ``verified_mobile``, as the endorsement's context does)."""
    known = getattr(user, "verified_mobile", None)
    if known is not None:
        return bool(known)
    return (
        db.session.scalar(select(PhoneNumber.id).where(PhoneNumber.user_id == user.id).limit(1))
        is not None
    )


def level_of(user: Any) -> str:
    """The highest level the account has reached ("none" for visitors and deleted or
    unconfirmed accounts; gov and mobile need a confirmed email as well)."""
    if not is_authenticated(user) or not user.is_verified:
        return "none"
    if has_government_identity(user):
        return "gov"
    if has_mobile(user):
        return "mobile"
    return "email"


def has_level(user: Any, level: str) -> bool:
    """``user`` has at least ``level``; asks the database only for mobile and gov."""
    if level == "none":
        return True
    if not is_authenticated(user) or not user.is_verified:
        return False
    if level == "email":
        return True
    if level == "mobile":
        return has_mobile(user) or has_government_identity(user)
    return has_government_identity(user)


def meets_level(user: Any, action: str) -> bool:
    """``user`` has the level ``action`` needs."""
    return has_level(user, required_level(action))


def missing_step(user: Any, action: str) -> str | None:
    """The next step ``user`` must take before ``action`` ("login", "email", "mobile",
    "gov"), or None when they have the level."""
    needed = required_level(action)
    if has_level(user, needed):
        return None
    if not is_authenticated(user):
        return "login"
    if not user.is_verified:
        return "email"
    if needed == "mobile":
        return "mobile"
    return "gov"


def step_message(step: str) -> str:
    """What the person is told about the missing step."""
    return {
        "login": _("Log in first."),
        "email": _("Confirm your email address first."),
        "mobile": _("Verify a mobile number first: it takes one text message."),
        "gov": _("Link your government digital identity first."),
    }[step]


def can_verify_mobile(user: Any, now: Any = None) -> bool:
    """Verify a mobile number: an active account with a confirmed email address."""
    return is_verified(user, now)


# --------------------------------------------------------------------------- integrity


def can_see_integrity(user: Any, proposal: Any) -> bool:
    """The integrity panel: moderators, and staff of the agencies responsible for it."""
    return is_moderator(user) or acts_for(user, proposal)


def can_hold_count(user: Any, proposal: Any) -> bool:
    """Hold (or release) a proposal's public endorsement count: moderators."""
    return is_moderator(user) and proposal.endorsement_count is not None


def active_hold(proposal_id: int) -> EndorsementHold | None:
    """The hold on the proposal's count, if a moderator holds it now."""
    return db.session.scalar(
        select(EndorsementHold).where(unreleased_hold_on(proposal_id)).limit(1)
    )


def count_is_held(proposal_id: int) -> bool:
    return active_hold(proposal_id) is not None
