"""Mail for moderation notices, sent after the decision that wrote them has committed.

:func:`participate.moderation.notices.notify` writes the in-app notice inside the
decision's transaction and queues :func:`queue_mail` in the outbox, so mail
goes out only for decisions that were kept, and from the worker, so a slow or failing mail
server never delays or breaks a decision. Each notice is mailed in its own unit of work:
one bad address does not hold back the others, and what failed is retried by the periodic
task (``moderation.alerts``).
"""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from participate.boundary import unit
from participate.extensions import db
from participate.jobs import app_task
from participate.mail import claim_unsent
from participate.models import ModerationNotice, User
from participate.moderation.labels import ACTION_TEXT, reason_label
from participate.timeutil import utcnow

log = logging.getLogger(__name__)


def deliver_mail(limit: int = 200) -> int:
    """Mail the notices not yet mailed, oldest first, each in its own unit of work; the
    number sent. Marked sent only when the mail went out, so failures are retried."""
    ids = db.session.scalars(
        select(ModerationNotice.id)
        .where(ModerationNotice.emailed_at.is_(None))
        .order_by(ModerationNotice.id)
        .limit(limit)
    ).all()
    sent = 0
    for notice_id in ids:
        try:
            with unit():
                # Taken before it is sent, in the same transaction: another worker mailing
                # at the same moment waits on the row, then finds it taken.
                if not claim_unsent(ModerationNotice, [notice_id], utcnow()):
                    continue
                notice = db.session.get(ModerationNotice, notice_id)
                user = db.session.get(User, notice.user_id) if notice else None
                if notice is not None and user is not None and user.email and not user.deleted_at:
                    _mail_notice(user, notice)
            sent += 1
        except Exception:  # noqa: BLE001 - rolled back by the unit; retried later
            log.exception("moderation mail for notice %s", notice_id)
    return sent


@app_task()
def deliver_moderation_mail() -> int:
    """Mail what is waiting, in the worker."""
    return deliver_mail()


def queue_mail() -> None:
    """The outbox effect :func:`participate.moderation.notices.notify` adds: hand the
    waiting mail to the worker (a plain function, so the outbox can name it in its log)."""
    deliver_moderation_mail()


def _mail_notice(user: User, notice: ModerationNotice) -> None:
    from participate.mail import send_mail

    locale = user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hant_TW")
    with force_locale(locale):
        lines = [str(ACTION_TEXT.get(notice.action, notice.action))]
        if notice.excerpt:
            lines.append(_("Concerning: %(excerpt)s", excerpt=notice.excerpt))
        if notice.reason:
            lines.append(_("Reason: %(reason)s", reason=reason_label(notice.reason)))
        if notice.message:
            lines.append(_("Message from the moderators: %(message)s", message=notice.message))
        link = current_app.config.get("BASE_URL", "").rstrip("/") + "/moderation/notices"
        if has_request_context():
            link = url_for("moderation.notices", _external=True)
        if notice.appealable:
            lines.append(_("If you think this is wrong, you can appeal once: %(link)s", link=link))
        else:
            lines.append(_("Details: %(link)s", link=link))
        if notice.action == "alert":
            subject = _("participate: the moderation queue needs attention")
        else:
            subject = _("participate: a moderation decision about your account")
    send_mail(user.email or "", subject, "\n\n".join(lines))
