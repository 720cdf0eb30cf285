"""Pair output projects with truth projects, and output indicator rows with truth rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jixiao_eval.scoring.text import name_similarity

# Two names of the same project differ by a few misread characters (ratio ~0.8-0.95);
# names of different projects in one report share little beyond 经费 (ratio < 0.5).
NAME_THRESHOLD = 0.6
# Needleman-Wunsch gap cost; a row pair scores 2*ratio - 1 in [-1, 1]. With a gap of 0.5 a
# misread row in its place (pair) never costs more than a missed row plus an extra row
# (two gaps), while a missed row costs one gap instead of shifting every later row.
ROW_GAP = 0.5


@dataclass(frozen=True)
class Pair:
    """One aligned position: truth index, output index (None on either side) and similarity."""

    truth: int | None
    output: int | None
    similarity: float


def align_projects(
    truth_names: Sequence[str],
    output_names: Sequence[str],
    threshold: float = NAME_THRESHOLD,
) -> list[Pair]:
    """One-to-one name matching: greedy on similarity >= threshold, truth order, extras last."""
    candidates: list[tuple[float, int, int, int]] = []
    for t, truth_name in enumerate(truth_names):
        for o, output_name in enumerate(output_names):
            similarity = name_similarity(truth_name, output_name)
            if similarity >= threshold:
                # Ties (duplicate names) go to the pair closest in document order.
                candidates.append((-similarity, abs(t - o), t, o))
    candidates.sort()
    by_truth: dict[int, Pair] = {}
    used_outputs: set[int] = set()
    for negative, _, t, o in candidates:
        if t in by_truth or o in used_outputs:
            continue
        by_truth[t] = Pair(t, o, -negative)
        used_outputs.add(o)
    pairs = [by_truth.get(t, Pair(t, None, 0.0)) for t in range(len(truth_names))]
    pairs += [Pair(None, o, 0.0) for o in range(len(output_names)) if o not in used_outputs]
    return pairs


def align_rows(
    truth_names: Sequence[str], output_names: Sequence[str], gap: float = ROW_GAP
) -> list[Pair]:
    """Needleman-Wunsch over indicator names: global, order-preserving, gaps for missed/extra."""
    n, m = len(truth_names), len(output_names)
    similarity = [[name_similarity(t, o) for o in output_names] for t in truth_names]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        score[i][0] = -gap * i
    for j in range(1, m + 1):
        score[0][j] = -gap * j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            score[i][j] = max(
                score[i - 1][j - 1] + 2.0 * similarity[i - 1][j - 1] - 1.0,
                score[i - 1][j] - gap,
                score[i][j - 1] - gap,
            )
    pairs: list[Pair] = []
    i, j = n, m
    while i > 0 or j > 0:
        # Prefer the diagonal on ties so identical sequences align position by position.
        if (
            i > 0
            and j > 0
            and _close(score[i][j], score[i - 1][j - 1] + 2.0 * similarity[i - 1][j - 1] - 1.0)
        ):
            pairs.append(Pair(i - 1, j - 1, similarity[i - 1][j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and _close(score[i][j], score[i - 1][j] - gap):
            pairs.append(Pair(i - 1, None, 0.0))
            i -= 1
        else:
            pairs.append(Pair(None, j - 1, 0.0))
            j -= 1
    pairs.reverse()
    return pairs


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 1e-9
