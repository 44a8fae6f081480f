"""gunicorn entry point for ``bench/votes.py --without-hooks``: the app with
``hooks.vote_recorded`` emptied, to measure the vote path alone (analysis scheduling is
measured by the default run)."""

from participate import create_app, hooks

app = create_app()
hooks.vote_recorded.clear()
