"""Model against model on one benchmark: paired counts, McNemar's exact test, a CI on the difference.

Samples are paired by ``(subset, sample_id, repeat)``; only samples scored (with a headline value)
in both runs of a pair count. For two runs A and B, with ``b`` samples only A got right and ``c``
only B got right, McNemar's exact test asks whether ``b`` is unusually far from ``(b + c) / 2``
under "both models are equally good": a two-sided binomial test of ``min(b, c)`` successes in
``b + c`` trials at 1/2. The accuracy difference is the mean of the paired differences
``d_i = correct_A - correct_B`` (each -1, 0 or 1); its 95% interval is the normal one,
``mean ± 1.96 * s / sqrt(n)`` with ``s`` the sample standard deviation of the ``d_i``.
Edge cases: no discordant pair gives ``p = 1``; fewer than two paired samples give an interval of
zero width (as ``assay.scoring.stats`` does for a standard error), never NaN.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import numpy as np
import numpy.typing as npt

from assay.app._benchmark import SampleTable
from assay.app._journal_index import SCORED

__all__ = ["DISAGREEMENTS_SHOWN", "compare_tables", "mcnemar_exact_p", "paired_difference_ci95"]

DISAGREEMENTS_SHOWN = 500
_Z95 = 1.959963984540054


def mcnemar_exact_p(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value from the two discordant counts.

    Computed in log space (``log C(n, i)`` by a running sum) so ``n`` in the hundred thousands
    neither overflows nor underflows. Agrees with ``scipy.stats.binomtest(b, b + c).pvalue``.

    Example:
        >>> round(mcnemar_exact_p(1, 9), 6), mcnemar_exact_p(0, 0)
        (0.021484, 1.0)
    """
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    steps = np.arange(k, dtype=np.float64)
    log_comb = np.concatenate(([0.0], np.cumsum(np.log(n - steps) - np.log(steps + 1))))
    log_terms = log_comb - n * math.log(2.0)
    top = float(log_terms.max())
    tail = math.exp(top + math.log(float(np.exp(log_terms - top).sum())))
    return min(1.0, 2.0 * tail)


def paired_difference_ci95(only_a: int, only_b: int, n: int) -> tuple[float, float, float]:
    """``(mean difference, low, high)`` of the paired accuracy difference A - B over ``n`` pairs."""
    if n == 0:
        return 0.0, 0.0, 0.0
    mean = (only_a - only_b) / n
    if n < 2:
        return mean, mean, mean
    same = n - only_a - only_b
    variance = (only_a * (1 - mean) ** 2 + only_b * (1 + mean) ** 2 + same * mean**2) / (n - 1)
    half = _Z95 * math.sqrt(variance / n)
    return mean, mean - half, mean + half


class _Scored:
    """One run's scored samples, sorted by pairing hash: ``hashes``, ``correct``, table ``rows``."""

    def __init__(self, table: SampleTable) -> None:
        scored = np.flatnonzero((table.status == SCORED) & ~np.isnan(table.value))
        hashes = table.match_hash[scored]
        # One entry per pairing identity; the table already keeps one record per key.
        _, first = np.unique(hashes, return_index=True)
        self.rows: npt.NDArray[np.int64] = scored[first]
        self.hashes: npt.NDArray[np.int64] = table.match_hash[self.rows]
        self.correct: npt.NDArray[np.bool_] = table.value[self.rows] > 0.5


def compare_tables(ids: list[str], tables: list[SampleTable]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(pairs, disagreements)`` of the compare endpoint for runs ``ids`` with sample ``tables``."""
    scored = [_Scored(table) for table in tables]
    pairs = []
    for (i, a), (j, b) in combinations(enumerate(scored), 2):
        _, in_a, in_b = np.intersect1d(a.hashes, b.hashes, assume_unique=True, return_indices=True)
        ca, cb = a.correct[in_a], b.correct[in_b]
        only_a, only_b = int((ca & ~cb).sum()), int((~ca & cb).sum())
        diff, low, high = paired_difference_ci95(only_a, only_b, len(in_a))
        pairs.append(
            {
                "a": ids[i],
                "b": ids[j],
                "a_only_correct": only_a,
                "b_only_correct": only_b,
                "both": int((ca & cb).sum()),
                "neither": int((~ca & ~cb).sum()),
                "mcnemar_p": mcnemar_exact_p(only_a, only_b),
                "diff": diff,
                "diff_ci95": [low, high],
            }
        )
    return pairs, _disagreements(ids, tables[0], scored)


def _disagreements(ids: list[str], first: SampleTable, scored: list[_Scored]) -> list[dict[str, Any]]:
    """Samples scored in every run on which the runs do not all agree, in the first run's order."""
    common = scored[0].hashes
    for other in scored[1:]:
        common = np.intersect1d(common, other.hashes, assume_unique=True)
    verdicts = np.stack([s.correct[np.searchsorted(s.hashes, common)] for s in scored])
    split = np.flatnonzero(verdicts.any(axis=0) & ~verdicts.all(axis=0))
    rows = scored[0].rows[np.searchsorted(scored[0].hashes, common[split])]
    order = np.argsort(rows, kind="stable")[:DISAGREEMENTS_SHOWN]
    records = first.records(int(r) for r in rows[order])
    shown = []
    for column, record in zip(split[order], records, strict=True):
        record = record or {}
        shown.append(
            {
                "key": record.get("key"),
                "sample_id": record.get("sample_id"),
                "subset": record.get("subset"),
                "correct": {run_id: bool(verdicts[r, column]) for r, run_id in enumerate(ids)},
            }
        )
    return shown
