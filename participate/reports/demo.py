"""Demo seeder: analyse every demo discussion that has votes and no succeeded analysis yet,
synchronously, so ``make run`` shows full reports before any worker has started.

Idempotent: a discussion that already has a succeeded analysis is left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from participate.extensions import db
from participate.models import Analysis, AnalysisStatus, Vote
from participate.reports import scheduler


def seed_analyses(echo: Callable[[str], None] = print) -> None:
    """Run the worker's job for each voted, never-analysed discussion. Each run commits its
    own units of work (the claim, then the result), so the demo seeding before it inside
    ``seed_all``'s unit is committed by the first claim; that is harmless for idempotent
    seeders and keeps one job sequence for the worker, the command and the demo."""
    with_votes = set(db.session.scalars(select(Vote.discussion_id).distinct()))
    done = set(
        db.session.scalars(
            select(Analysis.discussion_id).where(Analysis.status == AnalysisStatus.SUCCEEDED)
        )
    )
    for discussion_id in sorted(with_votes - done):
        outcome = scheduler.run_analysis(discussion_id, "demo", requeue=False)
        echo(f"  analysis of discussion {discussion_id}: {outcome.status}")
