"""gunicorn entry point: ``gunicorn wsgi:app``.

The ORM's mappers are configured here, while the worker starts, not by the first request
that queries: that took a worker's first vote about 0.2 s, and every request queued behind
it waited as long."""

from sqlalchemy.orm import configure_mappers

from participate import create_app

app = create_app()
configure_mappers()
