"""Read a Pol.is export folder (``comments.csv`` + ``votes.csv`` or ``participants-votes.csv``).

Vote coding in exports: 1 agree, -1 disagree, 0 pass (checked against ``comments.csv``
counts in the tests). Columns are found by name.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["PolisExport", "load_export", "polis_groups"]


@dataclass(frozen=True)
class PolisExport:
    """Votes (in time order), statement texts, rejected ids and comments.csv tallies."""

    participants: np.ndarray
    statements: np.ndarray
    values: np.ndarray
    texts: dict[int, str]
    moderated_out: set[int]
    agrees: dict[int, int]
    disagrees: dict[int, int]


def _int(x: str) -> int:
    return int(float(x))


def load_export(folder: str | Path) -> PolisExport:
    """Load one export folder. Raises FileNotFoundError when ``comments.csv`` is missing."""
    folder = Path(folder)
    texts: dict[int, str] = {}
    moderated: set[int] = set()
    agrees: dict[int, int] = {}
    disagrees: dict[int, int] = {}
    with open(folder / "comments.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            cid = _int(row["comment-id"])
            texts[cid] = row.get("comment-body") or ""
            if (row.get("moderated") or "0").strip() == "-1":
                moderated.add(cid)
            agrees[cid] = _int(row.get("agrees") or "0")
            disagrees[cid] = _int(row.get("disagrees") or "0")
    votes_path = folder / "votes.csv"
    if votes_path.is_file():
        rows: list[tuple[int, int, int, int]] = []
        with open(votes_path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                rows.append(
                    (
                        _int(row.get("timestamp") or "0"),
                        _int(row["voter-id"]),
                        _int(row["comment-id"]),
                        _int(row["vote"]),
                    )
                )
        arr = np.array(rows, dtype=np.int64).reshape(-1, 4)
        # Stable sort by timestamp so "last wins" means the latest vote.
        arr = arr[np.argsort(arr[:, 0], kind="stable")]
        pids, sids, vals = arr[:, 1], arr[:, 2], arr[:, 3]
    else:
        p_list, s_list, v_list = [], [], []
        with open(folder / "participants-votes.csv", encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader)
            pcol = header.index("participant")
            vote_cols = [(i, int(h)) for i, h in enumerate(header) if h.strip().isdigit()]
            for row in reader:
                pid = _int(row[pcol])
                for i, cid in vote_cols:
                    cell = row[i].strip() if i < len(row) else ""
                    if cell:
                        p_list.append(pid)
                        s_list.append(cid)
                        v_list.append(_int(cell))
        pids = np.array(p_list, dtype=np.int64)
        sids = np.array(s_list, dtype=np.int64)
        vals = np.array(v_list, dtype=np.int64)
    return PolisExport(pids, sids, vals, texts, moderated, agrees, disagrees)


def polis_groups(folder: str | Path) -> dict[int, int]:
    """participant id → the group id Pol.is recorded (participants without a group omitted)."""
    out: dict[int, int] = {}
    with open(Path(folder) / "participants-votes.csv", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            g = (row.get("group-id") or "").strip()
            if g:
                out[_int(row["participant"])] = _int(g)
    return out
