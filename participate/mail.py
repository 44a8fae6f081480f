"""Outgoing mail: SMTP when configured, otherwise the log plus the dev outbox table."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from participate.extensions import db
from participate.models import MailMessage

log = logging.getLogger(__name__)


def send_mail(recipient: str, subject: str, body: str) -> None:
    """Send now. Callers run inside their own transaction; the outbox row joins it."""
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
