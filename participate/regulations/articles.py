"""Reading a comparison table (條文對照表) pasted in bulk, and article labels.

Two shapes are understood, whichever the text is:

- **a table** copied from a word processor or a spreadsheet: one row per line, the cells
  separated by tabs, in the order proposed text · current text · explanation (修正條文 ·
  現行條文 · 說明). Cells with line breaks arrive quoted, as spreadsheets copy them. A header
  row (修正條文…) is skipped. An empty current text makes the article new, an empty
  proposed text makes it deleted, both make it amended.
- **plain articles** (a new regulation): every line that starts with an article number
  (第三條, 第五條之一) starts a new article; a line starting with 說明： (or "Explanation:")
  starts its explanation. Every article is new.

Pure functions: no database, no Flask.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from participate.models.regulations import ArticleChange

_NUMERALS = "零〇一二三四五六七八九十百千0-9０-９"
LABEL = re.compile(
    rf"^\s*(第\s*[{_NUMERALS}]+\s*條(?:\s*之\s*[{_NUMERALS}]+)?|Article\s+\d+(?:-\d+)?)",
    re.IGNORECASE,
)
_EXPLANATION = re.compile(r"^\s*(?:說明|explanation)\s*[:：]\s*", re.IGNORECASE)
_HEADER_WORDS = ("修正條文", "現行條文", "說明", "草案條文", "proposed", "current")
MAX_ARTICLES = 300


@dataclass
class ParsedArticle:
    label: str
    change: ArticleChange
    proposed_text: str
    current_text: str
    explanation: str


def label_of(*texts: str) -> str:
    """The article number at the start of the first text that has one ("" if none)."""
    for text in texts:
        match = LABEL.match(text or "")
        if match:
            return re.sub(r"\s+", "", match.group(1)) if "條" in match.group(1) else match.group(1)
    return ""


def change_of(proposed: str, current: str) -> ArticleChange:
    if not current.strip():
        return ArticleChange.NEW
    if not proposed.strip():
        return ArticleChange.DELETED
    return ArticleChange.AMENDED


def _clean(cell: str) -> str:
    lines = [line.rstrip() for line in (cell or "").replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip()


def _is_header(cells: list[str]) -> bool:
    joined = "".join(cells).replace(" ", "").lower()
    return len(joined) <= 40 and sum(word in joined for word in _HEADER_WORDS) >= 2


def _table(text: str) -> list[ParsedArticle]:
    out = []
    for row in csv.reader(io.StringIO(text), delimiter="\t"):
        cells = [_clean(c) for c in row] + ["", "", ""]
        proposed, current, explanation = cells[0], cells[1], cells[2]
        if not (proposed or current or explanation) or _is_header(cells[:3]):
            continue
        out.append(
            ParsedArticle(
                label_of(proposed, current),
                change_of(proposed, current),
                proposed,
                current,
                explanation,
            )
        )
    return out


def _plain(text: str) -> list[ParsedArticle]:
    out: list[ParsedArticle] = []
    body: list[str] = []
    note: list[str] = []
    in_note = False

    def flush() -> None:
        proposed = "\n".join(body).strip()
        if proposed or note:
            out.append(
                ParsedArticle(
                    label_of(proposed),
                    ArticleChange.NEW,
                    proposed,
                    "",
                    "\n".join(note).strip(),
                )
            )

    for line in text.replace("\r\n", "\n").split("\n"):
        if LABEL.match(line):
            flush()
            body, note, in_note = [line.strip()], [], False
        elif _EXPLANATION.match(line):
            in_note = True
            note.append(_EXPLANATION.sub("", line).strip())
        elif in_note:
            note.append(line.rstrip())
        else:
            body.append(line.rstrip())
    flush()
    return out


def parse(text: str) -> list[ParsedArticle]:
    """The articles in pasted text (see the module docstring), in order; at most
    :data:`MAX_ARTICLES` (the caller refuses more)."""
    text = (text or "").strip("\n")
    if not text.strip():
        return []
    return _table(text) if "\t" in text else _plain(text)
