"""Synthetic conversations with planted opinion groups (for tests and the benchmark)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticConversation", "planted_conversation"]


@dataclass(frozen=True)
class SyntheticConversation:
    """Votes plus the planted truth.

    ``participants``, ``statements``, ``values``: shape (n_votes,), one row per vote event.
    ``groups``: shape (n_participants,), the planted group of participant id ``i``.
    """

    participants: np.ndarray
    statements: np.ndarray
    values: np.ndarray
    groups: np.ndarray


def planted_conversation(
    n_participants: int,
    n_statements: int,
    n_votes: int,
    n_groups: int = 3,
    noise: float = 0.1,
    seed: int = 0,
) -> SyntheticConversation:
    """Generate a sparse conversation whose participants fall into ``n_groups`` planted groups.

    Each group has a stance per statement (agree 45 %, disagree 45 %, pass 10 %). Each
    participant votes on about ``n_votes / n_participants`` statements (Poisson, at least one),
    chosen with a skewed popularity as in real conversations (early statements are seen more);
    with probability ``noise`` a vote is replaced by a uniformly random one. Repeated draws of
    the same (participant, statement) pair are kept as changed votes (the last one counts).
    Fully vectorised: 10 M votes take a few seconds.
    """
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_groups, size=n_participants).astype(np.int32)
    stance = rng.choice(
        np.array([1, -1, 0], dtype=np.int8), size=(n_groups, n_statements), p=[0.45, 0.45, 0.10]
    )
    mean = n_votes / max(n_participants, 1)
    counts = np.maximum(rng.poisson(mean, size=n_participants), 1).astype(np.int64)
    # Rescale so the total is close to the requested number of votes.
    scale = n_votes / counts.sum()
    counts = np.maximum(np.round(counts * scale), 1).astype(np.int64)
    rows = np.repeat(np.arange(n_participants, dtype=np.int32), counts)
    pop = 1.0 / np.sqrt(np.arange(1, n_statements + 1))
    pop /= pop.sum()
    cols = rng.choice(n_statements, size=rows.size, p=pop).astype(np.int32)
    values = stance[groups[rows], cols]
    flip = rng.random(rows.size) < noise
    values = values.copy()
    values[flip] = rng.integers(-1, 2, size=int(flip.sum()), dtype=np.int8)
    return SyntheticConversation(rows, cols, values, groups)
