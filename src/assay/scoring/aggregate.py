"""Roll per-repeat scores up into a benchmark's numbers: mean, pass@k, vote@k, pass^k.

These are EvalScope's aggregations (``evalscope/metrics/aggregators/aggregators.py``), chosen with
``dataset_args[<bench>]["aggregation"]``, and they emit EvalScope's report metric names so
dashboards and ``pass_criteria`` written against EvalScope keep working. For metric ``acc`` and
``repeats=4`` the keys are::

    mean_acc                                       every aggregation
    mean_acc_pass@1 .. mean_acc_pass@4             mean_and_pass_at_k
    mean_acc_vote@1 .. mean_acc_vote@4             mean_and_vote_at_k
    mean_acc_pass^1 .. mean_acc_pass^4             mean_and_pass_hat_k

EvalScope's report prefixes the aggregation to the metric name (``f'{aggregation}_{metric}'``, so
``mean`` over ``acc_pass@2`` gives ``mean_acc_pass@2``), and EvalScope 1.14 still reads exactly these
spellings (``_DYNAMIC_K`` and ``_DYNAMIC_HAT_K`` in ``metrics/semantics/legacy_identity.py``), mapping
``mean_acc_pass@2`` to its structured identity ``accuracy:pass_at_k[k=2]``.

Like EvalScope, each ``k`` runs from 1 to the smallest number of planned repeats, and a sample
counts toward ``k`` only if its first ``k`` repeats all have a score; a repeat without one (excluded
or errored) is ``None`` and never counts as wrong.

Example:
    >>> aggregate("mean_and_pass_at_k", [SampleRepeats([1.0, 0.0]), SampleRepeats([0.0, 0.0])])
    {'mean_acc': 0.25, 'mean_acc_pass@1': 0.25, 'mean_acc_pass@2': 0.5}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from math import fsum
from typing import NamedTuple

from assay.errors import UserError, did_you_mean

__all__ = [
    "AGGREGATIONS",
    "AggregateValue",
    "SampleRepeats",
    "aggregate",
    "aggregate_with_counts",
    "pass_at_k",
    "pass_hat_k",
]


@dataclass(frozen=True)
class SampleRepeats:
    """One sample's scores for one metric, one per planned repeat, in generation order.

    A voted answer is correct if any repeat that gave that answer scored 1 (EvalScope's rule), so no
    separate map from answers to correctness is needed: it is read off ``values`` and ``answers``.

    Attributes:
        values: Score of each repeat in [0, 1] (1 = correct), or ``None`` for a repeat with no
            score (excluded or errored).
        answers: The answer extracted from each repeat (``None`` = nothing extracted), aligned with
            ``values``; needed only by ``mean_and_vote_at_k``, empty otherwise.

    Example:
        >>> SampleRepeats([1.0, 0.0, None], answers=["42", "41", None]).values
        (1.0, 0.0, None)
    """

    values: Sequence[float | None]
    answers: Sequence[str | None] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "answers", tuple(self.answers))
        if self.answers and len(self.answers) != len(self.values):
            raise ValueError(f"{len(self.answers)} answers for {len(self.values)} repeats")


class AggregateValue(NamedTuple):
    """One aggregated number and how many units it averages (repeats for the mean, samples for @k).

    ``num`` is what a report needs to weight subsets (micro average) and to show coverage.
    """

    score: float
    num: int


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` attempts with ``c`` correct: ``1 - C(n-c, k) / C(n, k)``.

    Chen et al. (2021), computed as ``1 - prod_{i=n-c+1}^{n} (1 - k/i)`` so no huge binomial is ever
    formed. When fewer than ``k`` attempts failed, every draw of ``k`` contains a success: 1.0.

    Example:
        >>> pass_at_k(4, 1, 2), pass_at_k(4, 0, 2), pass_at_k(4, 3, 2)
        (0.5, 0.0, 1.0)
    """
    _check_counts(n, c, k)
    if n - c < k:
        return 1.0
    miss = 1.0
    for i in range(n - c + 1, n + 1):
        miss *= 1.0 - k / i
    return 1.0 - miss


def pass_hat_k(n: int, c: int, k: int) -> float:
    """Unbiased pass^k (all of ``k`` attempts succeed) from ``n`` attempts with ``c`` correct.

    ``C(c, k) / C(n, k)`` as in tau-bench (Yao et al. 2024), computed as
    ``prod_{i=0}^{k-1} (c-i)/(n-i)``; 0.0 when ``c < k``.

    Example:
        >>> pass_hat_k(4, 2, 2)
        0.16666666666666666
    """
    _check_counts(n, c, k)
    if c < k:
        return 0.0
    ratio = 1.0
    for i in range(k):
        ratio *= (c - i) / (n - i)
    return ratio


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


# --- the aggregations -------------------------------------------------------------------------


def _scored(sample: SampleRepeats) -> list[float]:
    return [v for v in sample.values if v is not None]


def _is_correct(value: float | None) -> bool:
    # pass@k, pass^k and vote@k need a yes/no per attempt: only a full score counts. EvalScope counts
    # int(sum(values)) instead, which agrees on 0/1 scores and credits partial scores in lumps.
    return value is not None and value >= 1.0


def _mean(per_sample: Sequence[SampleRepeats], metric: str) -> dict[str, AggregateValue]:
    values = [v for sample in per_sample for v in _scored(sample)]
    if not values:
        return {}
    return {f"mean_{metric}": AggregateValue(fsum(values) / len(values), len(values))}


def _eligible_by_k(per_sample: Sequence[SampleRepeats]) -> Iterator[tuple[int, list[SampleRepeats]]]:
    """Each ``k`` from 1 to the fewest planned repeats, with the samples whose first ``k`` are scored."""
    max_k = min((len(sample.values) for sample in per_sample), default=0)
    for k in range(1, max_k + 1):
        eligible = [s for s in per_sample if all(v is not None for v in s.values[:k])]
        if eligible:
            yield k, eligible


def _mean_of(values: list[float]) -> AggregateValue:
    return AggregateValue(fsum(values) / len(values), len(values))


def _with_estimator(
    estimator: Callable[[int, int, int], float], label: str
) -> Callable[[Sequence[SampleRepeats], str], dict[str, AggregateValue]]:
    """The mean plus ``estimator(n, c, k)`` averaged over samples, keyed ``mean_<metric>_<label><k>``."""

    def aggregation(per_sample: Sequence[SampleRepeats], metric: str) -> dict[str, AggregateValue]:
        out = _mean(per_sample, metric)
        for k, eligible in _eligible_by_k(per_sample):
            # n and c count every scored attempt of the sample, not only the first k (EvalScope too).
            values = [estimator(len(s), sum(map(_is_correct, s)), k) for s in map(_scored, eligible)]
            out[f"mean_{metric}_{label}{k}"] = _mean_of(values)
        return out

    return aggregation


def _vote(sample: SampleRepeats, k: int) -> float:
    """1.0 if the most common answer among the first ``k`` repeats is a correct one.

    Blank and missing answers do not vote; ties go to the answer seen first; answers compare as
    strings ("12" and "12.0" are different votes). A voted answer is correct if any of those ``k``
    repeats gave it and scored 1. All as EvalScope's ``MeanVoteAtK``.
    """
    counts: dict[str, int] = {}
    for answer in sample.answers[:k]:
        if answer is not None and answer.strip():
            counts[answer] = counts.get(answer, 0) + 1
    if not counts:
        return 0.0
    voted = max(counts, key=counts.__getitem__)  # dicts keep first-seen order, max keeps the first
    first_k = zip(sample.answers[:k], sample.values[:k], strict=True)
    return 1.0 if any(a == voted and _is_correct(v) for a, v in first_k) else 0.0


def _mean_and_vote_at_k(per_sample: Sequence[SampleRepeats], metric: str) -> dict[str, AggregateValue]:
    if any(not sample.answers for sample in per_sample):
        raise UserError(
            "aggregation 'mean_and_vote_at_k' needs the extracted answer of every repeat, and this "
            "benchmark does not extract answers; use 'mean_and_pass_at_k' instead"
        )
    out = _mean(per_sample, metric)
    for k, eligible in _eligible_by_k(per_sample):
        out[f"mean_{metric}_vote@{k}"] = _mean_of([_vote(s, k) for s in eligible])
    return out


_AGGREGATORS: dict[str, Callable[[Sequence[SampleRepeats], str], dict[str, AggregateValue]]] = {
    "mean": _mean,
    "mean_and_pass_at_k": _with_estimator(pass_at_k, "pass@"),
    "mean_and_vote_at_k": _mean_and_vote_at_k,
    "mean_and_pass_hat_k": _with_estimator(pass_hat_k, "pass^"),
}

#: Aggregation names accepted in ``dataset_args[<bench>]["aggregation"]`` (EvalScope's spelling).
AGGREGATIONS: tuple[str, ...] = tuple(_AGGREGATORS)


def aggregate_with_counts(
    name: str, per_sample: Sequence[SampleRepeats], metric: str = "acc"
) -> dict[str, AggregateValue]:
    """Like :func:`aggregate`, with the number of units behind each value.

    Raises:
        UserError: ``name`` is not one of :data:`AGGREGATIONS`, or ``mean_and_vote_at_k`` is asked
            for samples without extracted answers.
    """
    try:
        aggregator = _AGGREGATORS[name]
    except KeyError:
        raise UserError(
            f"unknown aggregation {name!r}{did_you_mean(name, AGGREGATIONS)}; choose one of {', '.join(AGGREGATIONS)}"
        ) from None
    return aggregator(per_sample, metric)


def aggregate(name: str, per_sample: Sequence[SampleRepeats], metric: str = "acc") -> dict[str, float]:
    """Aggregate one metric's per-repeat scores with EvalScope aggregation ``name``.

    Args:
        name: One of :data:`AGGREGATIONS`.
        per_sample: One entry per sample (per subset, if the report splits by subset).
        metric: The metric's name, used in the output keys (``acc`` gives ``mean_acc`` ...).

    Returns:
        EvalScope report name -> value in [0, 1]. Empty when nothing was scored: no number is better
        than a made-up 0.

    Raises:
        UserError: ``name`` is not one of :data:`AGGREGATIONS` (the message suggests the closest),
            or ``mean_and_vote_at_k`` is asked for samples without extracted answers.

    Example:
        >>> repeats = [SampleRepeats([0.0, 1.0, 1.0], answers=["8", "7", "7"])]
        >>> aggregate("mean_and_vote_at_k", repeats)["mean_acc_vote@3"]
        1.0
    """
    return {key: value.score for key, value in aggregate_with_counts(name, per_sample, metric).items()}
