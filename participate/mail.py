"""Outgoing mail: SMTP when configured, otherwise the log plus the dev outbox table.

Operations never send mail themselves: they call :func:`queue_mail`, and the message goes
out only after their transaction has committed (:mod:`participate.outbox`). A message is
rendered when it is queued, in the language of the request that caused it.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from participate import outbox
from participate.extensions import db
from participate.models import MailMessage

log = logging.getLogger(__name__)


def queue_mail(recipient: str, subject: str, body: str) -> None:
    """Send this message once the current transaction commits (never if it rolls back)."""
    outbox.add(send_mail, recipient, str(subject), str(body))


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send now. Operations reach it through :func:`queue_mail` (it then runs after the
    commit, in its own small transaction, which also keeps the dev outbox row)."""
    cfg = current_app.config
    if cfg.get("MAIL_SERVER"):
        msg = EmailMessage()
        msg["From"] = cfg["MAIL_SENDER"]
        msg["To"] = recipient
        msg["Subject"] = subject
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
