"""Small-cell suppression: which counts of a table may be published.

The rule: no cell that stands for fewer than ``threshold`` people (5 by default) is ever
shown, empty cells included. Hiding those cells alone is not enough when totals are
published: a row of "12, <5, 30" with its total 45 gives the hidden 3 away by subtraction.
So whenever a row or column whose total is published has exactly one hidden cell that is
not empty, the smallest other non-empty cell of that line is hidden too (secondary
suppression), repeated until nothing changes. A single hidden *empty* cell needs no
partner: working it out reveals that nobody is in it, which is no one's data.

Pure: a count matrix in, a boolean mask (True = hidden) out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["THRESHOLD", "suppress", "suppress_vector"]

THRESHOLD = 5


def suppress(
    counts: Sequence[Sequence[int]] | np.ndarray,
    threshold: int = THRESHOLD,
    row_totals: bool = True,
    column_totals: bool = True,
) -> np.ndarray:
    """The mask of cells to hide in ``counts`` (rows x columns).

    Primary: every cell below ``threshold`` (zero too). Secondary: in each row (when
    ``row_totals`` are published) and column (when ``column_totals`` are) whose hidden
    cells are exactly one non-empty cell, the smallest shown non-empty cell (else the
    smallest shown cell) is hidden as well, until no line can give a non-empty hidden cell
    away. Lines of one cell are left alone (their total *is* the cell, hidden or not by
    the same rule).
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise ValueError("counts must be a matrix")
    hidden = c < threshold
    changed = True
    while changed:
        changed = False
        lines: list[tuple[np.ndarray, np.ndarray]] = []
        if row_totals:
            lines += [(c[i], hidden[i]) for i in range(c.shape[0])]
        if column_totals:
            lines += [(c[:, j], hidden[:, j]) for j in range(c.shape[1])]
        for values, mask in lines:
            if values.size < 2 or int(mask.sum()) != 1 or float(values[mask].sum()) == 0:
                continue
            shown = np.nonzero(~mask)[0]
            if shown.size == 0:
                continue
            positive = shown[values[shown] > 0]
            pool = positive if positive.size else shown
            smallest = pool[np.argmin(values[pool])]
            mask[smallest] = True  # a view: writes through to ``hidden``
            changed = True
    return hidden


def suppress_vector(
    counts: Sequence[int] | np.ndarray, threshold: int = THRESHOLD, total_shown: bool = True
) -> np.ndarray:
    """:func:`suppress` for one line of counts (the options of one question)."""
    row = np.asarray(counts, dtype=float).reshape(1, -1)
    return suppress(row, threshold, row_totals=total_shown, column_totals=False)[0]
