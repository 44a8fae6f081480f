"""The one place where text people wrote is cleaned and becomes HTML.

Accepting: every operation that stores text people typed (the site's forms, the API, the
command line and imports all reach the same operations) passes it through
:func:`accept_text` first, which either returns it ready to store or raises a
:class:`~participate.errors.RuleError` for the field, before anything is written: a NUL or
any other control character is refused (PostgreSQL refuses NUL in text, a 500 there, and
SQLite stored it silently; the others are invisible noise), a text with nothing visible in
it is refused as empty, and a display name may not hold bidi overrides or invisible
characters. The lenient helpers (:func:`clean_text`, :func:`clean_name`, :func:`is_blank`)
serve imports and readers that must keep going with what they have.

Rendering: two formats, both inert against script injection:

- **Statements** are plain text. Line breaks are kept; a link exists only where the author
  wrote one explicitly, as ``[words](https://...)`` or ``<https://...>``. Bare URLs are never
  linked: linkifiers cannot tell where a URL glued to Chinese text ends
  (``請見https://example.tw/a說明。`` would swallow ``說明。``), so we do not guess.
- **Replies** are a Markdown subset (emphasis, links, lists, quotes, code) rendered by
  markdown-it-py with raw HTML and linkify switched off, then cleaned by bleach with an
  allowlist of tags, attributes and URL schemes, as a second, independent wall.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import bleach
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from participate.errors import RuleError

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "del"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# URL characters: ASCII only, so a URL written next to Chinese ends where the ASCII ends.
_URL = r"(?:https?://|mailto:)[A-Za-z0-9._~:/?#\[\]@!$&'*+,;=%-]+"
_EXPLICIT_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((" + _URL + r")\)|<(" + _URL + r")>")


# --- Cleaning ---------------------------------------------------------------------------

# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): characters a font
# draws as nothing. Among them the zero-width space, joiners and non-joiners (U+200B..U+200D),
# the bidirectional marks, embeddings, overrides and isolates (U+200E, U+200F, U+202A..U+202E,
# U+2066..U+2069, U+061C), the word joiner and invisible operators (U+2060..U+2064), the
# byte-order mark (U+FEFF), the soft hyphen (U+00AD), Hangul fillers (U+115F, U+1160, U+3164,
# U+FFA0, popular for "empty" names) and the variation selectors (U+FE00..U+FE0F and
# U+E0100..U+E01EF, within the tag block U+E0000..U+E0FFF).
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Line breaks in any spelling: CRLF, CR, NEL (U+0085), line and paragraph separators.
_LINE_BREAK = re.compile("\r\n?|[\u0085\u2028\u2029]")
# C0 and C1 controls and DEL, except tab and line feed (handled per mode), and lone
# surrogates (possible in JSON's \ud800 escapes; UTF-8 cannot store them).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# Categories with nothing to see: controls, format characters (the bidi and zero-width ones,
# and a few more such as U+FFF9..U+FFFB), surrogates, and every kind of space.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})
_BRAILLE_BLANK = "\u2800"  # drawn as a blank cell; another favourite for "empty" text


def clean_text(value: str | None, *, multiline: bool) -> str:
    """Text as people meant it: line endings as ``\\n``, no NUL and no other control
    character, lone surrogates as U+FFFD.

    ``multiline`` (statements, replies, descriptions) keeps ``\\n`` and tabs; otherwise
    (titles, names, short fields) line breaks and tabs become a space, so the words they
    separated stay apart. Visible text, zero-width joiners and bidi marks are kept: they
    belong to emoji and to Arabic or Hebrew quoted in a statement (:func:`is_blank` tells
    whether anything visible is left; :func:`clean_name` is stricter). Nothing is trimmed
    or normalised (NFC would rewrite CJK compatibility ideographs used in Taiwanese names).
    ``None`` becomes ``""``.
    """
    if not value:
        return ""
    text = _LINE_BREAK.sub("\n", value)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = _CONTROL.sub("", text)
    return _SURROGATE.sub("\ufffd", text)


def _invisible(ch: str) -> bool:
    return (
        ch.isspace()
        or unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        or ch == _BRAILLE_BLANK
        or _IGNORABLE.match(ch) is not None
    )


def is_blank(value: str | None) -> bool:
    """True when ``value`` shows nothing: only whitespace of any kind, controls, zero-width,
    bidi and other format characters, fillers and variation selectors (or nothing at all).

    ``DataRequired`` and ``str.strip()`` let ``"\\u200b\\u200b"`` through; a statement, a
    reply or a title made of it is an empty item on the page that people cannot even see to
    report. Stops at the first visible character, so long texts cost little.
    """
    return not value or all(_invisible(ch) for ch in value)


_NAME_SPACE = re.compile(f"[\\s{_BRAILLE_BLANK}]+")


def clean_name(value: str | None) -> str:
    """A display name that shows what it contains: :func:`clean_text` on one line, then
    without any default-ignorable or format character (bidi overrides, zero-width
    characters, fillers, variation selectors), every run of spaces of any kind as one space,
    trimmed.

    ``"\\u202enimda\\u200b"`` is drawn as "admin" (and turns around whatever follows it on
    the line), and invisible characters make two names that look the same differ. The
    price: an emoji sequence joined by U+200D falls apart into its parts. An empty result
    means there was no name (callers refuse it with their usual message).
    """
    text = clean_text(value, multiline=False)
    text = "".join(
        ch for ch in text if unicodedata.category(ch) != "Cf" and _IGNORABLE.match(ch) is None
    )
    return _NAME_SPACE.sub(" ", text).strip()


# A message for the person: a str, or flask_babel's LazyString (translated when shown).
Message = Any


def _hidden_in_name(text: str) -> bool:
    """Does ``text`` hold a character :func:`clean_name` would drop (bidi controls, zero-width
    and other format or default-ignorable characters)?"""
    return any(unicodedata.category(ch) == "Cf" or _IGNORABLE.match(ch) for ch in text)


def accept_text(
    value: str | None,
    field: str,
    *,
    multiline: bool = False,
    required: bool = True,
    empty: Message | None = None,
    name: bool = False,
) -> str:
    """``value`` as it is stored, or a :class:`RuleError` naming ``field``.

    Line breaks in any spelling become ``\\n`` (in a one-line field, ``multiline=False``,
    they and tabs become spaces) and outer whitespace is trimmed. The text is then refused
    when it holds a control character (NUL, the other C0 controls but tab and line feed,
    DEL, C1) or a lone surrogate; when it shows nothing (:func:`is_blank`: only spaces,
    zero-width, bidi or filler characters), with ``empty`` (the field's own "write
    something" message, usually a ``lazy_gettext`` one so it is translated only when used)
    when it is ``required``; and, for a display name (``name``), when
    it holds a bidi control or an invisible character anywhere (runs of spaces become one,
    as in :func:`clean_name`). An empty optional field is ``""``. Nothing is removed
    silently: people see why their text was refused, next to the field.
    """
    text = _LINE_BREAK.sub("\n", value or "")
    if _CONTROL.search(text) or _SURROGATE.search(text):
        raise RuleError(
            _("Remove the control characters (such as NUL) from this text."), field=field
        )
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    text = text.strip()
    if name and _hidden_in_name(text):
        raise RuleError(
            _(
                "A name cannot contain invisible characters or characters that change the "
                "direction of the text."
            ),
            field=field,
        )
    if name:
        text = clean_name(text)
    if not text:
        if required:
            raise RuleError(str(empty or _("Fill in this field.")), field=field)
        return ""
    if is_blank(text):
        if required:
            raise RuleError(
                str(empty or _("Nothing in this text can be seen: write something visible.")),
                field=field,
            )
        raise RuleError(
            _("Nothing in this text can be seen: write something visible, or leave it empty."),
            field=field,
        )
    return text


def accept_into(errors: dict[str, str], value: str | None, field: str, **rules: Any) -> str:
    """:func:`accept_text` for an operation that reports every field's problem at once: a
    refusal is noted in ``errors`` under ``field`` (the first one per field stays) and the
    text is then ``""``."""
    try:
        return accept_text(value, field, **rules)
    except RuleError as exc:
        errors.setdefault(field, exc.message)
        return ""


def accept_lines(
    items: list[str], field: str, *, required: bool = False, empty: Message | None = None
) -> list[str]:
    """The items of a one-per-line field (measures, questions, links), each accepted as a
    one-line :func:`accept_text`; blank lines are dropped, a line of invisible characters
    is refused, and a ``required`` field needs at least one item."""
    out = [accept_text(item, field, required=False) for item in items if item.strip()]
    if required and not out:
        raise RuleError(str(empty or _("Fill in this field.")), field=field)
    return out


# --- Rendering --------------------------------------------------------------------------


def _link(href: str, label: str) -> str:
    return f'<a href="{escape(href)}" rel="nofollow ugc noopener">{escape(label)}</a>'


def render_statement(text: str) -> Markup:
    """Plain text to HTML: escape everything, keep line breaks, link only explicit links."""
    out: list[str] = []
    pos = 0
    for match in _EXPLICIT_LINK.finditer(text):
        out.append(str(escape(text[pos : match.start()])))
        if match.group(2):
            out.append(_link(match.group(2), match.group(1)))
        else:
            out.append(_link(match.group(3), match.group(3)))
        pos = match.end()
    out.append(str(escape(text[pos:])))
    html = "".join(out).replace("\r\n", "\n").replace("\n", "<br>\n")
    return Markup(html)  # noqa: S704 - every piece escaped above


def statement_plain(text: str) -> str:
    """The statement with explicit link markup reduced to its words (for exports, previews)."""
    return _EXPLICIT_LINK.sub(lambda m: m.group(1) or m.group(3), text)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    md.disable(["image", "heading", "lheading", "table", "html_block", "html_inline", "hr"])
    return md


def render_reply(markdown: str) -> str:
    """Markdown subset to sanitised HTML, stored next to the source on the reply."""
    raw = _markdown().render(markdown or "")
    cleaned = bleach.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    # rel on the links the author wrote; bare URLs stay text (no linkify, see module doc).
    return re.sub(r"<a (?![^>]*\brel=)", '<a rel="nofollow ugc noopener" ', cleaned)
