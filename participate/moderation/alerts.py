"""The periodic look at the moderation queue: alert the moderators (in-app notice and mail)
when it grows past a threshold or an item has waited too long, at most once per interval;
and retry notice mail that failed earlier."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from huey import crontab
from sqlalchemy import func, select

from participate import audit, outbox
from participate.extensions import db
from participate.jobs import app_periodic_task
from participate.models import AuditLog, ItemState, ModerationItem, Role, User
from participate.moderation.notices import notify
from participate.moderation.settings import cfg
from participate.moderation.tasks import queue_mail
from participate.timeutil import aware, utcnow


def check_queue() -> bool:
    """Alert every moderator when the queue is too long or too old; True when it did.
    Run inside a unit of work (the periodic task is one): the mail follows the commit."""
    now = utcnow()
    size = (
        db.session.scalar(
            select(func.count())
            .select_from(ModerationItem)
            .where(ModerationItem.state == ItemState.OPEN)
        )
        or 0
    )
    oldest = aware(
        db.session.scalar(
            select(func.min(ModerationItem.opened_at)).where(ModerationItem.state == ItemState.OPEN)
        )
    )
    too_long = size > int(cfg("MODERATION_ALERT_QUEUE_SIZE"))
    too_old = oldest is not None and now - oldest > timedelta(
        hours=int(cfg("MODERATION_ALERT_AGE_HOURS"))
    )
    if not (too_long or too_old):
        return False
    last = aware(
        db.session.scalar(
            select(func.max(AuditLog.created_at)).where(AuditLog.action == "moderation.alert")
        )
    )
    if last is not None and now - last < timedelta(
        hours=int(cfg("MODERATION_ALERT_INTERVAL_HOURS"))
    ):
        return False
    waited_hours = int((now - oldest).total_seconds() // 3600) if oldest else 0
    moderators = db.session.scalars(
        select(User).where(User.role.in_([Role.MODERATOR, Role.ADMIN]), User.deleted_at.is_(None))
    ).all()
    default_locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hant_TW")
    for moderator in moderators:
        with force_locale(moderator.locale or default_locale):
            message = _(
                "%(n)d items wait for a decision; the oldest has waited %(hours)d hours.",
                n=size,
                hours=waited_hours,
            )
        notify(moderator.id, "alert", None, None, message, None, now=now)
    entry = audit.record(
        None, "moderation.alert", "queue", None, None, open=size, oldest_hours=waited_hours
    )
    entry.created_at = now
    db.session.flush()
    return True


@app_periodic_task(crontab(minute="*/15"))
def moderation_queue_alert() -> None:
    check_queue()
    outbox.add(queue_mail)  # after the commit: the alerts, and mail that failed earlier
