"""Background work for draft regulations (Huey, each run one unit of work).

- ``analyse_regulation_comments`` recomputes the keywords and topics of a draft's
  comments per article; the comment operations and moderation queue it after their commit
  through :func:`analyse_draft_comments` (an outbox effect).
"""

from __future__ import annotations

import logging

from participate.jobs import app_task
from participate.regulations.analysis import analyse

log = logging.getLogger(__name__)


@app_task(retries=2, retry_delay=30)
def analyse_regulation_comments(draft_id: int) -> None:
    """Returns nothing: Huey would keep a returned value until someone read it."""
    row = analyse(draft_id)
    if row is not None:
        log.info("regulation %s: %d comments analysed", draft_id, row.comment_count)


def analyse_draft_comments(draft_id: int) -> None:
    """The outbox effect: hand the analysis to the worker (a plain function, so the
    outbox can name it in its log)."""
    analyse_regulation_comments(draft_id)
