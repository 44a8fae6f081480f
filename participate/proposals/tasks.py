"""Background work for the proposals area (Huey, through the app-context wrapper).

- ``advance_lifecycles`` every five minutes stores the time-based changes (lapse, close)
  that pages already show on read, and notifies followers.
- ``deliver_notifications`` mails new notifications to people who want them at once.
- ``send_digests`` once a day mails one summary to people who chose the daily digest.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from huey import crontab
from sqlalchemy import select

from participate.extensions import db
from participate.jobs import app_periodic_task, app_task
from participate.mail import send_mail
from participate.models import Notification, User
from participate.timeutil import utcnow

log = logging.getLogger(__name__)


def notification_text(n: Notification) -> str:
    """One line saying what happened, in the reader's language (caller sets the locale)."""
    from participate.proposals.views import NOTIFICATION_TEXT

    title = n.proposal.title if n.proposal else ""
    return str(NOTIFICATION_TEXT[n.kind]) % {"title": title}


def _link(n: Notification) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/proposals/{n.proposal_id}" if n.proposal_id else base


def _pending(digest: bool) -> dict[int, list[Notification]]:
    rows = db.session.execute(
        select(Notification, User)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.emailed_at.is_(None),
            User.email_digest.is_(digest),
            User.deleted_at.is_(None),
            User.email.is_not(None),
            User.email_verified_at.is_not(None),
        )
        .order_by(Notification.id)
        .limit(20000)
    ).all()
    grouped: dict[int, list[Notification]] = defaultdict(list)
    for n, _user in rows:
        grouped[n.user_id].append(n)
    return grouped


def _send(user: User, items: list[Notification], digest: bool) -> None:
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        lines = [f"- {notification_text(n)}\n  {_link(n)}" for n in items]
        if digest:
            subject = _("Your daily summary: %(n)d updates", n=len(items))
        else:
            subject = (
                notification_text(items[0])
                if len(items) == 1
                else _("%(n)d updates on proposals you follow", n=len(items))
            )
        body = _(
            "Hello %(name)s,\n\n%(lines)s\n\nYou receive this because you follow these "
            "proposals. Change how you get mail in your account settings.",
            name=user.display_name,
            lines="\n".join(lines),
        )
    send_mail(user.email or "", subject[:200], body)


def deliver_pending(digest: bool) -> int:
    """Mail what is waiting; each user's batch is committed with its ``emailed_at`` stamp."""
    now = utcnow()
    sent = 0
    for user_id, items in _pending(digest).items():
        user = db.session.get(User, user_id)
        if user is None:
            continue
        _send(user, items, digest)
        for n in items:
            n.emailed_at = now
        db.session.commit()
        sent += 1
    return sent


@app_task()
def deliver_notifications() -> int:
    return deliver_pending(digest=False)


@app_periodic_task(crontab(minute="0", hour="0"))  # 08:00 in Taipei when the host runs UTC
def send_digests() -> int:
    return deliver_pending(digest=True)


@app_periodic_task(crontab(minute="*/5"))
def advance_lifecycles() -> int:
    from participate.proposals.rules import sweep

    changed = sweep()
    if changed:
        log.info("proposals: %d time-based status changes stored", changed)
        deliver_pending(digest=False)
    return changed
