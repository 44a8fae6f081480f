"""The difference between a draft article and its promulgated text, for the page.

Character by character (Chinese has no spaces to split words on, and a changed 應 → 得
is exactly what a reader looks for), merged into runs: ``[("same"|"added"|"removed",
text), ...]``. Pure: strings in, runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher


@dataclass(frozen=True)
class Run:
    kind: str  # "same", "added" or "removed"
    text: str


def diff(before: str, after: str) -> list[Run]:
    """Runs turning ``before`` into ``after`` (removed runs come before added ones)."""
    before, after = before or "", after or ""
    runs: list[Run] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(Run("same", before[i1:i2]))
            continue
        if op in ("delete", "replace"):
            runs.append(Run("removed", before[i1:i2]))
        if op in ("insert", "replace"):
            runs.append(Run("added", after[j1:j2]))
    return runs


def changed(before: str, after: str) -> bool:
    return (before or "").strip() != (after or "").strip()
