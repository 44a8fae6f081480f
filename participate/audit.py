"""The audit log writer: one call per action, inside the action's own transaction."""

from __future__ import annotations

from typing import Any

from participate.extensions import db
from participate.models import AuditLog


def record(
    actor: Any,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str | None = None,
    **detail: Any,
) -> AuditLog:
    entry = AuditLog(
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        detail=detail,
    )
    db.session.add(entry)
    return entry
