"""The job consumer's entry point: ``huey_consumer participate.worker.huey``.

The Huey instance of :mod:`participate.jobs` with every area's tasks imported, so the
consumer knows each task by name. Web processes import a task where they queue it.
"""

from participate.api import tasks as api_tasks  # noqa: F401 - registers the tasks
from participate.discussion import tallies as discussion_tallies  # noqa: F401
from participate.identity import tasks as identity_tasks  # noqa: F401
from participate.jobs import huey
from participate.moderation import alerts as moderation_alerts  # noqa: F401
from participate.moderation import tasks as moderation_tasks  # noqa: F401
from participate.projects import tasks as projects_tasks  # noqa: F401
from participate.proposals import tasks as proposals_tasks  # noqa: F401
from participate.regulations import tasks as regulations_tasks  # noqa: F401
from participate.reports import scheduler as reports_tasks  # noqa: F401 - its Huey tasks

__all__ = ["huey"]
