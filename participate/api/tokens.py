"""Personal API tokens: the operations (create, revoke) and the check of a request's bearer
token. The account page that manages them is :mod:`participate.api.token_views`.

A token is shown once, at creation; only its SHA-256 digest is stored. Each token carries
scopes (``vote``, ``statements:write``); an API write checks the scope, then calls the
discussion area's own operation, so a token can do no more than its owner on the site.
Like every operation, these flush and audit but never commit: the request commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from participate import audit, policy
from participate.api.errors import ApiError
from participate.errors import RuleError
from participate.extensions import db
from participate.models import User
from participate.models.api import TOKEN_SCOPES, ApiToken
from participate.text import accept_text
from participate.timeutil import utcnow

TOKEN_PREFIX = "pt_"  # noqa: S105 - a marker, not a secret
MAX_TOKENS = 20
SCOPE_LABELS = {
    "vote": _l("Vote on statements"),
    "statements:write": _l("Post statements"),
}


def digest(token: str) -> str:
    """The stored form of a token: 32 random bytes need no slow hash, only a one-way one."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- operations


def create_token(user: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the secret (shown once, never stored)."""
    if not policy.can_make_api_token(user):
        raise RuleError(_("Confirm your email address before making API tokens."), status=403)
    name = accept_text(name, "name", empty=_l("Give the token a name."))
    if len(name) > 80:
        raise RuleError(_("Use at most 80 characters."), field="name")
    wanted = sorted(set(scopes))
    if not wanted or any(sc not in TOKEN_SCOPES for sc in wanted):
        raise RuleError(_("Choose at least one permission."), field="scopes")
    active = db.session.scalar(
        select(func.count(ApiToken.id)).where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)
        )
    )
    if (active or 0) >= MAX_TOKENS:
        raise RuleError(
            _("You have %(n)d active tokens; revoke one first.", n=MAX_TOKENS), field="name"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:10],
        token_hash=digest(secret),
        scopes=" ".join(wanted),
        created_at=utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", "api_token", token.id, scopes=wanted)
    return token, secret


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens (again is a no-op). Someone else's token answers 404,
    as an unknown one does, so ids reveal nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not policy.can_revoke_api_token(user, token):
        raise RuleError(_("No such token."), status=404)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(user, "api_token.revoke", "api_token", token.id)
    return token


def authenticate(scope: str) -> User:
    """The user behind the request's bearer token, if the token is live and has ``scope``.

    Raises the API's 401 (no or unknown token) or 403 (missing scope). Records when the
    token was last used (written when the request commits).
    """
    header = request.headers.get("Authorization", "")
    kind, _sep, secret = header.partition(" ")
    if kind.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", _("Send a personal API token: Authorization: Bearer …"))
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret.strip())))
    if token is None or token.revoked_at is not None:
        raise ApiError(401, "unauthorized", _("This API token is unknown or has been revoked."))
    user = db.session.get(User, token.user_id)
    if user is None or user.deleted_at is not None:
        raise ApiError(401, "unauthorized", _("This API token is unknown or has been revoked."))
    if scope not in token.scope_list:
        raise ApiError(
            403,
            "insufficient_scope",
            _("This token may not do that (it needs the %(scope)s permission).", scope=scope),
        )
    token.last_used_at = utcnow()
    return user


def token_rate_key() -> str:
    """Rate-limit writes per token (per address when there is none)."""
    header = request.headers.get("Authorization", "")
    _kind, _sep, secret = header.partition(" ")
    if secret.strip():
        return "token:" + digest(secret.strip())[:16]
    return "ip:" + (request.remote_addr or "unknown")


# --------------------------------------------------------------------------- queries


def tokens_of(user: User) -> list[ApiToken]:
    """Every token of ``user``, newest first (the account page lists revoked ones too)."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


# --------------------------------------------------------------------------- signal receivers


def revoke_on_deletion(user: Any) -> None:
    """``account_deleting``: a deleted account's programs stop acting for it."""
    now = utcnow()
    for token in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        token.revoked_at = now
    db.session.flush()


def personal_data(user: Any) -> tuple[str, Any]:
    """``personal_data``: the person's tokens, without their digests."""
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    return "api_tokens", [
        {
            "name": t.name,
            "prefix": t.prefix,
            "scopes": t.scope_list,
            "created_at": _iso(t.created_at),
            "last_used_at": _iso(t.last_used_at),
            "revoked_at": _iso(t.revoked_at),
        }
        for t in rows
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
