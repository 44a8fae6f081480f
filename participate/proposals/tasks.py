"""Background work for the proposals area (Huey, each run one unit of work).

- ``advance_lifecycles`` every five minutes stores the time-based changes (lapse, close)
  that pages already show on read, and notifies the followers.
- ``send_digests`` once a day mails one summary to people who chose the daily digest.
- ``deliver_notifications`` (in :mod:`participate.proposals.notifications`, where the
  operations queue it from) mails new notifications to people who want them at once.
"""

from __future__ import annotations

import logging

from huey import crontab

from participate.jobs import app_periodic_task
from participate.proposals import operations
from participate.proposals.notifications import deliver_notifications, deliver_pending

log = logging.getLogger(__name__)

__all__ = ["advance_lifecycles", "deliver_notifications", "send_digests"]


@app_periodic_task(crontab(minute="0", hour="0"))  # 08:00 in Taipei when the host runs UTC
def send_digests() -> int:
    return deliver_pending(digest=True)


@app_periodic_task(crontab(minute="*/5"))
def advance_lifecycles() -> int:
    """The sweep; its notification mail goes out after the sweep's commit (the outbox)."""
    changed = operations.sweep()
    if changed:
        log.info("proposals: %d time-based status changes stored", changed)
    return changed
