"""Background work of the identity area: once a day, the number hashes of deleted
accounts past their retention period are deleted (and codes older than two days)."""

from __future__ import annotations

from huey import crontab

from participate.identity import operations
from participate.jobs import app_periodic_task


@app_periodic_task(crontab(minute="30", hour="19"))  # 03:30 in Taipei when the host runs UTC
def purge_numbers() -> int:
    return operations.purge_detached_numbers()
