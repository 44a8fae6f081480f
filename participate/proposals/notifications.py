"""Notifications of the proposals area: the in-app rows, their texts, and the mail.

The operations write the rows (:func:`notify_user`, :func:`notify_followers`) inside their
own transaction and queue :func:`send_pending_mail` in the outbox, so the mail goes out
only once that transaction has committed: a refused or failed request never mails anyone.
The texts live here rather than in the views because the mail job needs them too, and a
job must not depend on the web layer.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import func, insert, select, update

from participate import outbox
from participate.boundary import unit
from participate.extensions import db
from participate.jobs import app_task
from participate.mail import claim_unsent, send_mail
from participate.models import Follow, Notification, NotificationKind, Proposal, User
from participate.timeutil import utcnow

log = logging.getLogger(__name__)

NOTIFICATION_TEXT: dict[NotificationKind, Any] = {
    NotificationKind.ACCEPTED: _l("Your proposal “%(title)s” is open for endorsement."),
    NotificationKind.CHANGES_REQUESTED: _l(
        "The moderators asked for changes to your proposal “%(title)s”."
    ),
    NotificationKind.REJECTED: _l("Your proposal “%(title)s” was not accepted."),
    NotificationKind.ESTABLISHED: _l("“%(title)s” reached the endorsement threshold."),
    NotificationKind.LAPSED: _l("“%(title)s” lapsed without enough endorsements."),
    NotificationKind.ASSIGNED: _l(
        "“%(title)s” was assigned to an agency; the response clock started."
    ),
    NotificationKind.EXTENDED: _l("The response deadline for “%(title)s” was extended."),
    NotificationKind.RESPONDED: _l("The agency published its response to “%(title)s”."),
    NotificationKind.CLOSED: _l("The consultation “%(title)s” has closed."),
}


def notification_text(n: Notification) -> str:
    """One line saying what happened, in the reader's language (caller sets the locale)."""
    if n.kind == NotificationKind.MODERATION:
        from participate.moderation.labels import ACTION_TEXT

        action = (n.detail or {}).get("action", "")
        return str(ACTION_TEXT.get(action) or _("A moderator made a decision about you."))
    title = n.proposal.title if n.proposal else ""
    return str(NOTIFICATION_TEXT[n.kind]) % {"title": title}


def notification_html(n: Notification) -> Markup:
    """The line for the page: the proposal's title marked as what its author wrote."""
    if n.kind == NotificationKind.MODERATION or not n.proposal:
        return escape(notification_text(n))
    title = Markup("<span data-user-content>{}</span>").format(n.proposal.title)  # noqa: S704
    return Markup(escape(str(NOTIFICATION_TEXT[n.kind]))) % {"title": title}  # noqa: S704


def notification_path(n: Notification) -> str:
    """Where the notification's link goes: the proposal, or the person's moderation
    notices (where a decision can be appealed)."""
    if n.kind == NotificationKind.MODERATION:
        return url_for("moderation.notices")
    if n.proposal_id:
        return url_for("proposals.show", proposal_id=n.proposal_id)
    return url_for("main.index")


# --------------------------------------------------------------------------- writing


def notify_user(
    user_id: int | None, proposal: Proposal, kind: NotificationKind, now: datetime, **detail: Any
) -> None:
    """One notification for one person (the author hears about the review)."""
    if user_id is None:
        return
    db.session.add(
        Notification(
            user_id=user_id, proposal_id=proposal.id, kind=kind, created_at=now, detail=detail
        )
    )
    outbox.add(send_pending_mail)


def notify_moderation(user_id: int, notice_id: int, action: str, now: datetime) -> None:
    """The bell's line for a moderation notice (moderation's ``notices.notify`` writes the
    notice and calls this in the same transaction). Moderation mails its own notice, so
    this row is marked mailed: nobody gets the same news twice."""
    db.session.add(
        Notification(
            user_id=user_id,
            kind=NotificationKind.MODERATION,
            created_at=now,
            emailed_at=now,
            detail={"notice": notice_id, "action": action},
        )
    )


def mark_moderation_read(user_id: int, now: datetime) -> None:
    """The person read their moderation notices: their lines in the bell are read too."""
    db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == NotificationKind.MODERATION,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )


def notify_followers(
    proposal: Proposal, kind: NotificationKind, now: datetime, **detail: Any
) -> None:
    """One notification per follower, inserted in bulk inside the caller's transaction
    (a proposal may have thousands of followers); the mail waits for the commit."""
    db.session.flush()
    db.session.execute(
        insert(Notification).from_select(
            ["user_id", "proposal_id", "kind", "detail", "created_at"],
            select(
                Follow.user_id,
                Follow.proposal_id,
                db.literal(kind.value),
                db.literal(detail, type_=Notification.__table__.c.detail.type),
                db.literal(now, type_=Notification.__table__.c.created_at.type),
            ).where(Follow.proposal_id == proposal.id),
        )
    )
    outbox.add(send_pending_mail)


def send_pending_mail() -> None:
    """The outbox effect the operations queue: hand the mail to the worker, after the
    commit (the worker must see the rows it mails)."""
    deliver_notifications()


def unread_count(user: Any) -> int:
    """Unread notifications of ``user`` (0 for visitors), for the bell in the navigation."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


# --------------------------------------------------------------------------- mail


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
    """Mail what is waiting, one person at a time.

    Each person's mail and its ``emailed_at`` stamps are one unit of work, so a mail server
    failing halfway never makes the people already mailed get the same mail again.
    """
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
def deliver_notifications() -> int:
    """Mail the notifications of people who want them at once (queued after each commit
    that wrote some)."""
    return deliver_pending(digest=False)
