"""Fixtures for the nlp tests (no Flask)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
VTAIWAN = "vtaiwan.uberx"
SSIS = "ssis.land-bank-farmland.2rumnecbeh.2021-08-01"


def polis_root() -> Path:
    env = os.environ.get("PARTICIPATE_POLIS_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data" / "polis"


@pytest.fixture(scope="session")
def polis_dir():
    """Return a function name → folder of a real Pol.is export, skipping when absent."""

    def get(name: str) -> Path:
        folder = polis_root() / name
        if not (folder / "comments.csv").is_file():
            pytest.skip(
                f"Pol.is export {name!r} not found under {polis_root()} "
                "(set PARTICIPATE_POLIS_DATA to the folder holding it)"
            )
        return folder

    return get


def two_groups_split(n_statements: int = 8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Participants 0-9 agree with every statement, 10-19 disagree with every one.

    The formula values of the issue (p = 0.9167, z = 3.317, ratio 11.0, z_rest = 4.282,
    group-informed consensus 0.0764) hold for each statement.
    """
    p, s, v = [], [], []
    for pid in range(20):
        for sid in range(n_statements):
            p.append(pid)
            s.append(sid)
            v.append(1 if pid < 10 else -1)
    return np.array(p), np.array(s), np.array(v)


@pytest.fixture(scope="session")
def analyses(polis_dir):
    """Cached analyses of the real conversations (each takes about a second)."""
    from nlp import analyze
    from nlp.polis_io import load_export

    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            ex = load_export(polis_dir(name))
            cache[name] = (
                ex,
                analyze(ex.participants, ex.statements, ex.values, ex.texts, ex.moderated_out),
            )
        return cache[name]

    return get
