"""Outgoing mail: SMTP when configured, otherwise the log plus the dev outbox table.

Operations never send mail themselves: they call :func:`queue_mail`, and the message goes
out only after their transaction has committed (:mod:`participate.outbox`). A message is
rendered when it is queued, in the language of the request that caused it.

**Once, not twice.** The jobs that mail what is waiting (notifications, moderation notices)
take the rows with :func:`claim_unsent` *before* sending, in the transaction that sends:
a conditional update that only one transaction can win (a second delivery running at the
same moment, on another consumer or thread, waits on the rows and then finds them taken).
With the dev outbox the mail and the stamp are one commit, so a consumer killed mid-way
leaves neither and the rerun sends it once. Over SMTP the one window left is a consumer
killed after the server accepted the message and before the commit: the rerun sends it
again (at least once, never lost), with the same ``Message-ID``, by which mail clients and
servers recognise the copy.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import update

from participate import outbox
from participate.extensions import db
from participate.models import MailMessage

log = logging.getLogger(__name__)


def queue_mail(recipient: str, subject: str, body: str) -> None:
    """Send this message once the current transaction commits (never if it rolls back)."""
    outbox.add(send_mail, recipient, str(subject), str(body))


def claim_unsent(model: Any, ids: Sequence[int], now: datetime) -> set[int]:
    """Stamp ``emailed_at`` on the rows of ``model`` among ``ids`` that nobody has mailed
    yet, and return their ids: the caller mails those, and only those, in this same
    transaction (rolled back with it when the mail fails). Two deliveries at once cannot
    both win a row: the second's update waits for the first's commit, then matches nothing.
    """
    if not ids:
        return set()
    won = db.session.execute(
        update(model)
        .where(model.id.in_(list(ids)), model.emailed_at.is_(None))
        .values(emailed_at=now)
        .returning(model.id)
        .execution_options(synchronize_session=False)
    )
    return set(won.scalars())


def message_id(recipient: str, subject: str, body: str) -> str:
    """The same message gets the same ``Message-ID``, so a copy sent again after a crash
    can be recognised as one."""
    digest = hashlib.sha256("\0".join((recipient, subject, body)).encode()).hexdigest()[:32]
    domain = (current_app.config.get("MAIL_SENDER") or "participate").rpartition("@")[2]
    return f"<{digest}@{domain.strip('<> ') or 'participate'}>"


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send now. Operations reach it through :func:`queue_mail` (it then runs after the
    commit, in its own small transaction, which also keeps the dev outbox row)."""
    cfg = current_app.config
    if cfg.get("MAIL_SERVER"):
        msg = EmailMessage()
        msg["From"] = cfg["MAIL_SENDER"]
        msg["To"] = recipient
        msg["Subject"] = subject
        msg["Message-ID"] = message_id(recipient, subject, body)
        msg.set_content(body)
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
        return
    log.info("mail to %s: %s\n%s", recipient, subject, body)
    db.session.add(MailMessage(recipient=recipient, subject=subject, body=body))
