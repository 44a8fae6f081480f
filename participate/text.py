"""The one place where text people wrote becomes HTML.

Two formats, both inert against script injection:

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
from functools import lru_cache

import bleach
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "a", "ul", "ol", "li", "blockquote", "code", "pre", "del"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

# URL characters: ASCII only, so a URL written next to Chinese ends where the ASCII ends.
_URL = r"(?:https?://|mailto:)[A-Za-z0-9._~:/?#\[\]@!$&'*+,;=%-]+"
_EXPLICIT_LINK = re.compile(r"\[([^\[\]\n]{1,200})\]\((" + _URL + r")\)|<(" + _URL + r")>")


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
