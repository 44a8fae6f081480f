"""The nightly open-data build (03:30 Taipei time = 19:30 UTC)."""

from __future__ import annotations

import logging

from huey import crontab

from participate.jobs import app_periodic_task, app_task

log = logging.getLogger(__name__)


def _build() -> int:
    from participate.opendata.build import build

    manifest = build()
    log.info("open data dumps built: %d files", len(manifest["files"]))
    return len(manifest["files"])


@app_periodic_task(crontab(hour="19", minute="30"))
def build_open_data_nightly() -> int:
    """Rebuild every dump from the database."""
    return _build()


@app_task()
def build_open_data() -> int:
    """The same build, queued on demand (``flask opendata-build --queue``)."""
    return _build()
