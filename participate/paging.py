"""Numbers and text in the query string, checked once at the edge for every route.

Every list of the site and the API pages with ``?page=`` (and the API with ``?per_page=``).
Read with ``request.args.get("page", type=int)``, a page of 99999999999999999999 became an
OFFSET the database could not hold (OverflowError in SQLite's driver, "bigint out of range"
from PostgreSQL: a 500), and ``int()`` also reads ``"１２"`` and ``" 1"``. A NUL byte in any
text argument (``?q=``, ``?action=``) reached PostgreSQL, which refuses it in a parameter:
a 500 too.

So, before any view, guard or template runs (:func:`check_query`, registered by
:func:`init_app` for the whole app):

- the counting arguments (:data:`COUNT_ARGS`: ``page``, ``per_page``) must be written as a
  plain number (ASCII digits, no sign, no leading zero) from 1 to their maximum;
- no argument, name or value, may hold a control character (C0 except tab and line breaks,
  DEL, C1).

Anything else is a 400 that names the argument: the error page, or on the API and for
``fetch()`` the JSON error shape with ``fields``. Views then read the checked values with
:func:`page_arg`, :func:`count_arg` and, for ids passed as arguments, :func:`id_arg` (which
answers None for anything that is not an id, so a stale or forged filter just filters
nothing). Page counts shown by a list stop at :data:`MAX_PAGE` (:func:`page_count`):
further back, people filter or search.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from participate.errors import error_response
from participate.security import MAX_ID

# The deepest page any list serves (the API and search had 500 already): 500 pages of 20 to
# 100 items reach 10,000 to 50,000 items back, and a deeper OFFSET only costs the database.
MAX_PAGE = 500
MAX_PER_PAGE = 100
# The counting arguments every route understands the same way, and their largest value.
COUNT_ARGS = {"page": MAX_PAGE, "per_page": MAX_PER_PAGE}

_NUMBER = re.compile(r"[1-9][0-9]{0,9}")  # ASCII, canonical; at most 10 digits (MAX_ID has 10)
# C0 controls except tab, LF and CR (a textarea's text in ?text= keeps its line breaks), DEL
# and C1: PostgreSQL refuses NUL in text, the others are invisible noise.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _number(raw: str | None, most: int) -> int | None:
    if raw is None or not _NUMBER.fullmatch(raw):
        return None
    value = int(raw)
    return value if value <= most else None


def query_problems(args: MultiDict[str, str] | None = None) -> dict[str, list[str]]:
    """What is wrong with the query string, per argument (empty when nothing is)."""
    args = request.args if args is None else args
    problems: dict[str, list[str]] = {}
    for name, values in args.lists():
        if _CONTROL.search(name) or any(_CONTROL.search(v) for v in values):
            label = _CONTROL.sub("\ufffd", name)
            problems[label] = [
                _("“%(name)s” contains control characters (such as NUL).", name=label)
            ]
    for name, most in COUNT_ARGS.items():
        if name in problems:
            continue
        if any(_number(raw, most) is None for raw in args.getlist(name)):
            problems[name] = [
                _("“%(name)s” must be a whole number from 1 to %(max)d.", name=name, max=most)
            ]
    return problems


def check_query() -> Response | None:
    """The before-request check of every route: a 400 naming the bad arguments, or None."""
    if not request.args:
        return None
    problems = query_problems()
    if not problems:
        return None
    message = next(iter(problems.values()))[0]
    return error_response(400, "invalid", message, problems)


def count_arg(name: str, default: int) -> int:
    """A counting argument (:data:`COUNT_ARGS`) as checked at the edge, or ``default``."""
    value = _number(request.args.get(name), COUNT_ARGS[name])
    return default if value is None else value


def page_arg() -> int:
    """``?page=``: from 1 to :data:`MAX_PAGE` (1 when absent). Every list reads its page here."""
    return count_arg("page", 1)


def id_arg(name: str) -> int | None:
    """An id passed as a query argument (``?discussion=``, ``?reply_to=``): from 1 to
    :data:`participate.security.MAX_ID`, spelled canonically; anything else is None."""
    return _number(request.args.get(name), MAX_ID)


def page_count(total: int, size: int) -> int:
    """How many pages a list of ``total`` items shows ``size`` at a time, at most
    :data:`MAX_PAGE` (and at least 1, so an empty list still has its page)."""
    return min(max(1, -(-int(total) // size)), MAX_PAGE)


def init_app(app: Flask) -> None:
    app.before_request(check_query)
    app.jinja_env.globals["max_page"] = MAX_PAGE
