"""Background work for the projects area (Huey, each run one unit of work).

- ``send_project_digests`` once a day mails one summary of the day's project updates to
  people who chose the daily digest.
- ``deliver_project_notifications`` (in :mod:`participate.projects.notifications`, where the
  operations queue it from) mails new notifications to people who want them at once.
"""

from __future__ import annotations

from huey import crontab

from participate.jobs import app_periodic_task
from participate.projects.notifications import deliver_pending, deliver_project_notifications

__all__ = ["deliver_project_notifications", "send_project_digests"]


@app_periodic_task(crontab(minute="5", hour="0"))  # 08:05 in Taipei when the host runs UTC
def send_project_digests() -> int:
    return deliver_pending(digest=True)
