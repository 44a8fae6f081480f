"""Notifications of the projects area: the in-app rows, their texts, and the mail.

The operations write the rows (:func:`notify_followers` for each progress report,
:func:`notify_user` when a question is answered) inside their own transaction and queue
:func:`send_pending_mail` in the outbox, so mail goes out only once that transaction has
committed. People who chose the daily digest get the day's project updates in one mail
(:func:`deliver_pending` with ``digest=True``, run by the area's periodic task).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select

from participate import outbox
from participate.boundary import unit
from participate.extensions import db
from participate.jobs import app_task
from participate.mail import claim_unsent, send_mail
from participate.models import (
    Project,
    ProjectFollow,
    ProjectNotification,
    ProjectNotificationKind,
    User,
)
from participate.timeutil import utcnow

TEXTS: dict[ProjectNotificationKind, Any] = {
    ProjectNotificationKind.PROGRESS: _l(
        "“%(name)s” published a progress report (as of %(date)s)."
    ),
    ProjectNotificationKind.ANSWERED: _l("The agency answered your question on “%(name)s”."),
}


def notification_text(n: ProjectNotification) -> str:
    """One line saying what happened, in the reader's language (caller sets the locale)."""
    name = n.project.name if n.project else ""
    return str(TEXTS[n.kind]) % {"name": name, "date": (n.detail or {}).get("as_of", "")}


def notify_user(
    user_id: int | None,
    project: Project,
    kind: ProjectNotificationKind,
    now: datetime,
    **detail: Any,
) -> None:
    if user_id is None:
        return
    db.session.add(
        ProjectNotification(
            user_id=user_id, project_id=project.id, kind=kind, created_at=now, detail=detail
        )
    )
    outbox.add(send_pending_mail)


def notify_followers(
    project: Project,
    kind: ProjectNotificationKind,
    now: datetime,
    actor_id: int | None = None,
    **detail: Any,
) -> None:
    """One notification per follower but the one who acted, inserted in bulk in the
    caller's transaction; the mail waits for the commit."""
    db.session.flush()
    table = ProjectNotification.__table__
    db.session.execute(
        insert(ProjectNotification).from_select(
            ["user_id", "project_id", "kind", "detail", "created_at"],
            select(
                ProjectFollow.user_id,
                ProjectFollow.project_id,
                db.literal(kind.value),
                db.literal(detail, type_=table.c.detail.type),
                db.literal(now, type_=table.c.created_at.type),
            ).where(
                ProjectFollow.project_id == project.id,
                ProjectFollow.user_id != (actor_id if actor_id is not None else -1),
            ),
        )
    )
    outbox.add(send_pending_mail)


def send_pending_mail() -> None:
    """The outbox effect: hand the mail to the worker after the commit."""
    deliver_project_notifications()


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(ProjectNotification)
            .where(ProjectNotification.user_id == user.id, ProjectNotification.read_at.is_(None))
        )
        or 0
    )


def _link(n: ProjectNotification) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/projects/{n.project_id}"


def _pending(digest: bool) -> dict[int, list[ProjectNotification]]:
    rows = db.session.scalars(
        select(ProjectNotification)
        .join(User, User.id == ProjectNotification.user_id)
        .where(
            ProjectNotification.emailed_at.is_(None),
            User.email_digest.is_(digest),
            User.deleted_at.is_(None),
            User.email.is_not(None),
            User.email_verified_at.is_not(None),
        )
        .order_by(ProjectNotification.id)
        .limit(20000)
    ).all()
    grouped: dict[int, list[ProjectNotification]] = defaultdict(list)
    for n in rows:
        grouped[n.user_id].append(n)
    return grouped


def _send(user: User, items: list[ProjectNotification], digest: bool) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = [f"- {notification_text(n)}\n  {_link(n)}" for n in items]
        if len(items) == 1 and not digest:
            subject = notification_text(items[0])
        else:
            subject = _("%(n)d updates on projects you follow", n=len(items))
        body = _(
            "Hello %(name)s,\n\n%(lines)s\n\nYou receive this because you follow these "
            "projects or asked a question. Change how you get mail in your account settings.",
            name=user.display_name,
            lines="\n".join(lines),
        )
    send_mail(user.email or "", subject[:200], body)


def deliver_pending(digest: bool) -> int:
    """Mail what is waiting, one person per unit of work (a failing mail server never
    makes the people already mailed get the same mail again)."""
    sent = 0
    for user_id, items in _pending(digest).items():
        with unit():
            user = db.session.get(User, user_id)
            if user is None:
                continue
            # Taken first, in this transaction: a delivery running at the same moment
            # (another consumer) waits, then finds them mailed; a failure undoes both.
            won = claim_unsent(type(items[0]), [n.id for n in items], utcnow())
            items = [n for n in items if n.id in won]
            if not items:
                continue
            _send(user, items, digest)
        sent += 1
    return sent


@app_task()
def deliver_project_notifications() -> int:
    """Mail new project notifications to people who want them at once."""
    return deliver_pending(digest=False)
