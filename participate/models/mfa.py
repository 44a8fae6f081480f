"""Second factors and outside identities: TOTP for staff, recovery codes, and the link to a
government digital identity (OpenID Connect).

Nothing here can be turned back into what the person holds except the TOTP secret, which
the server needs to check codes (it is stored encrypted with a key derived from the app's
secret, see :mod:`participate.auth.mfa`). Recovery codes and OpenID subjects are kept only
as keyed hashes (HMAC-SHA256): enough to recognise them again, useless to anyone who reads
the table without the key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participate.extensions import db
from participate.timeutil import utcnow


class OidcIdentity(db.Model):
    """An account's link to one OpenID provider: at most one per provider and account, and a
    subject links to one account only (``subject_hash`` is unique)."""

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("user_id", "provider", name="uq_oidc_identities_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(String(255))  # the issuer URL
    subject_hash: Mapped[str] = mapped_column(String(64), unique=True)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TotpCredential(db.Model):
    """One authenticator app per account, confirmed by a first code at enrolment.

    ``last_step`` is the last 30-second time step a code was accepted for: a code is
    accepted once, never replayed within its window.
    """

    __tablename__ = "totp_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    secret: Mapped[str] = mapped_column(String(255))  # encrypted base32 secret
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_step: Mapped[int | None] = mapped_column(Integer)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RecoveryCode(db.Model):
    """Ten one-time codes given at enrolment; a used one keeps its row with ``used_at``."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
