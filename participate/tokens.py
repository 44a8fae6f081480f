"""Signed, expiring tokens for email verification and password reset.

Tokens carry the account's ``session_version`` (reset) or email (verify), so a token
stops working once it has been used or the email changed: no token table is needed.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from participate.extensions import db
from participate.models import User


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"participate-{purpose}")


def make_verify_token(user: User) -> str:
    return _serializer("verify").dumps({"uid": user.id, "email": user.email})


def make_reset_token(user: User) -> str:
    return _serializer("reset").dumps({"uid": user.id, "v": user.session_version})


def read_verify_token(token: str) -> User | None:
    data = _load("verify", token, current_app.config["TOKEN_MAX_AGE_VERIFY"])
    if not data:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.deleted_at is not None or user.email != data.get("email"):
        return None
    return user


def read_reset_token(token: str) -> User | None:
    data = _load("reset", token, current_app.config["TOKEN_MAX_AGE_RESET"])
    if not data:
        return None
    user = db.session.get(User, data.get("uid"))
    if user is None or user.deleted_at is not None or user.session_version != data.get("v"):
        return None
    return user


def _load(purpose: str, token: str, max_age: int) -> dict | None:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return data if isinstance(data, dict) else None
