"""What the platform holds about a person, gathered for "download my data" (every area
adds its part through ``signals.personal_data``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from participate import signals
from participate.extensions import db
from participate.models import AuditLog, User


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def personal_data(user: User) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role.value,
            "agency": user.agency.name_zh if user.agency else None,
            "email_verified_at": _iso(user.email_verified_at),
            "privacy_accepted_at": _iso(user.privacy_accepted_at),
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "locale": user.locale,
            "email_digest": user.email_digest,
            "suspended_until": _iso(user.suspended_until),
        },
        "audit_log_as_actor": [
            {
                "action": e.action,
                "target_type": e.target_type,
                "target_id": e.target_id,
                "at": _iso(e.created_at),
            }
            for e in db.session.scalars(
                select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.id)
            )
        ],
    }
    for _receiver, (key, value) in signals.personal_data.send(user):
        data[key] = value
    return data
