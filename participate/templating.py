"""Template filters and globals shared by every area."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask, current_app, request, url_for
from flask_babel import format_datetime, get_locale
from markupsafe import Markup, escape

from participate import audit_labels, signals
from participate.timeutil import days_left, to_taipei


def _taipei(dt: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    if dt is None:
        return ""
    return format_datetime(to_taipei(dt), fmt)


def _taipei_date(dt: datetime | None) -> str:
    return _taipei(dt, "yyyy-MM-dd")


def _url_with(**params: object) -> str:
    """The current URL with some query parameters replaced (filters, pagination)."""
    args = request.args.to_dict()
    for key, value in params.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def _return_path() -> str:
    """Where a form in the page's chrome (the language switch) sends people back to: this
    page; for a page answering a POST (a form shown again with its errors), the page the
    form was on, since the POST's URL cannot be opened again."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("main.index")


def _nav_items() -> list[tuple[str, object]]:
    """Each area's links, in their order; a callable label (an unread count) that returns
    None hides its item."""
    items = []
    for item in sorted(signals.collect(signals.navigation), key=lambda i: i.order):
        if item.endpoint not in current_app.view_functions:
            continue
        shown = item.label() if callable(item.label) else item.label
        if shown is not None:
            items.append((item.endpoint, shown))
    return items


def _site_banners() -> list[dict[str, object]]:
    return signals.collect(signals.banners)


def _urlize_plain(text: str) -> Markup:
    """Link bare http(s) URLs in trusted plain text (mail bodies): escape first, then link."""
    escaped = str(escape(text))
    return Markup(  # noqa: S704 - input escaped on the line above
        re.sub(r"(https?://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+)", r'<a href="\1">\1</a>', escaped)
    )


def _user_content(value: object) -> Markup:
    """What a person wrote, marked as such (``data-user-content``) for a message that
    names it: ``_("Results: %(title)s", title=user_content(survey.title))``."""
    return Markup("<span data-user-content>{}</span>").format(value)  # noqa: S704 - format escapes


def init_app(app: Flask) -> None:
    app.jinja_env.filters["urlize_plain"] = _urlize_plain
    app.jinja_env.globals["nav_items"] = _nav_items
    app.jinja_env.globals["site_banners"] = _site_banners
    app.jinja_env.filters["taipei"] = _taipei
    app.jinja_env.filters["audit_action"] = audit_labels.action_label
    app.jinja_env.filters["audit_target"] = audit_labels.target_label
    app.jinja_env.filters["taipei_date"] = _taipei_date
    app.jinja_env.globals["days_left"] = days_left
    app.jinja_env.globals["url_with"] = _url_with
    app.jinja_env.globals["user_content"] = _user_content
    app.jinja_env.globals["return_path"] = _return_path
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
