"""Accounts, agencies, the audit log and the small tables the platform itself needs."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participate.extensions import db
from participate.timeutil import aware, utcnow


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    AGENCY_STAFF = "agency_staff"
    MODERATOR = "moderator"
    ADMIN = "admin"


def enum_column(enum_cls: type[enum.Enum], **kw: Any) -> Any:
    """Store enums by value as plain strings: readable in SQL and portable across databases."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kw,
    )


class Agency(db.Model):
    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120), unique=True)
    name_en: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    staff: Mapped[list[User]] = relationship(back_populates="agency")

    def name(self, locale: str) -> str:
        return self.name_en if str(locale).startswith("en") else self.name_zh


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.CITIZEN)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locale: Mapped[str | None] = mapped_column(String(16))
    email_digest: Mapped[bool] = mapped_column(default=False)
    # Bumped on password change or deletion: every session cookie carrying the old value dies.
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    agency: Mapped[Agency | None] = relationship(back_populates="staff")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users at login
        return self.deleted_at is None

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None and self.deleted_at is None

    def is_suspended(self, now: datetime | None = None) -> bool:
        until = aware(self.suspended_until)
        return until is not None and until > (now or utcnow())

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    def is_staff_of(self, agency_id: int | None) -> bool:
        return (
            self.role == Role.AGENCY_STAFF
            and agency_id is not None
            and self.agency_id == agency_id
            and self.deleted_at is None
        )

    @property
    def public_name(self) -> str:
        """What others see: a pseudonym, or a placeholder once the account is deleted."""
        return self.display_name if self.deleted_at is None else ""


class AuditLog(db.Model):
    """Append-only record of who did what: role grants, moderation, agency actions."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    actor: Mapped[User | None] = relationship()


class MailMessage(db.Model):
    """Mail written when no SMTP server is configured, shown at /dev/outbox in development."""

    __tablename__ = "mail_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkerHeartbeat(db.Model):
    """Written by each job consumer every minute, so pages can say analyses are stale."""

    __tablename__ = "worker_heartbeat"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
