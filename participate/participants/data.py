"""The participant profile in "download my data" and its erasure with the account."""

from __future__ import annotations

from typing import Any

from participate.models import User
from participate.participants import operations
from participate.participants.queries import profile_of


def personal_data(user: User) -> tuple[str, Any]:
    profile = profile_of(user.id)
    if profile is None:
        return "participant_profile", None
    return "participant_profile", {
        "age_band": profile.age_band,
        "sex": profile.sex,
        "county": profile.county,
        "identity_groups": profile.groups,
        "consented_at": profile.consented_at.isoformat() if profile.consented_at else None,
        "updated_at": profile.updated_at.isoformat() if profile.updated_at else None,
    }


def on_account_deletion(user: User) -> None:
    """``account_deleting``: the profile is erased with the account."""
    operations.erase(user)
