"""Locale selection and the translation catalogues.

Each area keeps its own ``<area>.po`` under ``translations/<locale>/LC_MESSAGES/`` so
people working on different areas never edit the same catalogue; they are merged into
the single ``messages.mo`` Flask-Babel reads, at start-up, only when a ``.po`` changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request, session
from flask_login import current_user

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LOCALES = ("zh_Hant_TW", "en")


def merged_catalog(locale: str) -> Catalog:
    merged = Catalog(locale=locale)
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=locale)
        for msg in cat:
            if msg.id and msg.string and not msg.fuzzy:
                merged.add(msg.id, msg.string)
    return merged


def ensure_compiled() -> None:
    """Write ``messages.mo`` for each locale when any of its ``.po`` files is newer."""
    for locale in LOCALES:
        folder = TRANSLATIONS / locale / "LC_MESSAGES"
        if not folder.is_dir():
            continue
        mo = folder / "messages.mo"
        sources = list(folder.glob("*.po"))
        newest = max((p.stat().st_mtime for p in sources), default=0)
        if mo.exists() and mo.stat().st_mtime >= newest:
            continue
        catalog = merged_catalog(locale)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as fh:
            write_mo(fh, catalog)
        os.replace(tmp, mo)  # atomic: several workers may start at once


def select_locale() -> str:
    """The request's language; outside a request the site's default (a job: an operation's
    refusal can be worded there too; mail sets its own with force_locale), or, in a
    ``flask`` command, the language of the shell that runs it (:func:`operator_locale`)."""
    if not has_request_context():
        if click.get_current_context(silent=True) is not None:
            return operator_locale()
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in LOCALES:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in LOCALES:
            return current_user.locale
    # Traditional Chinese is the default; only a browser that puts English first gets English.
    first = next(iter(request.accept_languages.values()), "") if request else ""
    if first.lower().startswith("en"):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def operator_locale() -> str:
    """The language of a ``flask`` command's messages: the shell's, from ``LC_ALL``,
    ``LC_MESSAGES`` or ``LANG`` as POSIX orders them, English for ``en*``; otherwise the
    site's default language."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            if value.lower().startswith("en"):
                return "en"
            break
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return "Asia/Taipei"
