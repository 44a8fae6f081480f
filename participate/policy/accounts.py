"""Who may manage accounts, roles, agencies and API tokens."""

from __future__ import annotations

from typing import Any

from participate.policy.core import is_admin, is_authenticated, is_verified


def can_manage_roles(user: Any) -> bool:
    return is_admin(user)


def can_manage_agencies(user: Any) -> bool:
    return is_admin(user)


def can_make_api_token(user: Any) -> bool:
    """Tokens act for their owner, so only someone who may take part makes one."""
    return is_verified(user)


def can_revoke_api_token(user: Any, token: Any) -> bool:
    """Only the owner revokes a token, verified or not: taking power away is always allowed."""
    return is_authenticated(user) and token.user_id == user.id


def can_reset_second_factor(actor: Any, user: Any) -> bool:
    """An administrator (with their own second factor) resets someone else's, never their
    own: an admin who lost the phone uses a recovery code or asks another admin."""
    return is_admin(actor) and actor.id != user.id
