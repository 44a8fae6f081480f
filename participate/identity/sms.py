"""Text messages: a gateway interface like the mail one, chosen by ``SMS_GATEWAY``.

- ``dev`` (the default): the message goes to the log and the dev outbox (/dev/outbox),
  addressed to the last two digits of the number only.
- ``http``: a JSON POST to ``SMS_HTTP_URL`` with ``{"to", "text", "sender"}`` and, when set,
  ``Authorization: Bearer SMS_HTTP_TOKEN``; any 2xx answer is success. Most Taiwanese SMS
  providers (and the aggregators) accept such a request, or a small relay in front of them
  does; adapt :class:`HttpGateway` to the provider's own shape if needed.

Operations never send: they call :func:`queue_sms`, and the message goes out after their
transaction has committed (:mod:`participate.outbox`). The number travels only in memory;
nothing here stores it.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

from flask import current_app

from participate import outbox
from participate.extensions import db
from participate.models import MailMessage

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    def send(self, number: str, text: str) -> None:
        """Send ``text`` to ``number`` (E.164, e.g. +886912345678); raise on failure."""


def masked(number: str) -> str:
    """What the site may show of a number: its last two digits."""
    return "•" * max(len(number) - 3, 0) + number[-2:]


class DevGateway:
    """Development: the log and the dev outbox, never a real text message."""

    def send(self, number: str, text: str) -> None:
        log.info("SMS to %s: %s", masked(number), text)
        db.session.add(MailMessage(recipient=f"SMS {masked(number)}", subject="SMS", body=text))


class HttpGateway:
    """Production: POST the message to an HTTP SMS API (see the module docstring)."""

    def __init__(self, url: str, token: str | None, sender: str) -> None:
        self.url, self.token, self.sender = url, token, sender

    def send(self, number: str, text: str) -> None:
        body = json.dumps({"to": number, "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the operator's setting
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise RuntimeError(f"SMS gateway answered {response.status}")


def gateway() -> SmsGateway:
    cfg = current_app.config
    if cfg.get("SMS_GATEWAY") == "http":
        if not cfg.get("SMS_HTTP_URL"):
            raise RuntimeError("PARTICIPATE_SMS_GATEWAY=http needs PARTICIPATE_SMS_HTTP_URL")
        return HttpGateway(cfg["SMS_HTTP_URL"], cfg.get("SMS_HTTP_TOKEN"), cfg["SMS_SENDER"])
    return DevGateway()


def send_sms(number: str, text: str) -> None:
    """Send now (after the commit, through the outbox)."""
    gateway().send(number, text)


def queue_sms(number: str, text: str) -> None:
    """Send this message once the current transaction commits (never if it rolls back)."""
    outbox.add(send_sms, number, str(text))
