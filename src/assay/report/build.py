"""Turn review records into a :class:`Report`.

Every metric here is a mean over samples of a per-sample quantity (accuracy over repeats, unbiased
pass@k, pass^k, vote@k), so each is computed per sample first; the micro score, macro score and
standard error then all come from the same per-sample numbers. That keeps every number in the report
recomputable from ``reviews/*.jsonl`` alone.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assay.report.model import (
    CategoryScore,
    Counts,
    DataSource,
    JudgeReport,
    MetricScore,
    Report,
    SubsetScore,
    Timing,
)
from assay.scoring.aggregate import SampleRepeats, aggregate
from assay.scoring.stats import mean_and_stderr, weighted_mean_and_stderr

#: Category name used for subsets the benchmark does not group.
DEFAULT_CATEGORY = "default"


@dataclass(frozen=True)
class Estimate:
    """One corpus metric computed over a set of reviews: its value, units, and uncertainty."""

    score: float
    num: int
    stderr: float = 0.0
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float | None = None
    method: str | None = None


#: Reviews of one group (a subset, a category, the benchmark) -> corpus metric name -> estimate.
CorpusMetrics = Callable[[Sequence[Mapping[str, Any]]], Mapping[str, Estimate]]


def build_report(
    *,
    reviews: Iterable[Mapping[str, Any]],
    dataset_name: str,
    dataset_pretty_name: str,
    model_name: str,
    benchmark_version: str,
    metric_list: Sequence[str],
    aggregation: str,
    repeats: int,
    subsets: Sequence[str],
    category_map: Mapping[str, str],
    timing: Timing,
    dataset_id: str | None = None,
    dataset_revision: str | None = None,
    data_sources: Sequence[DataSource] = (),
    corpus_metrics: CorpusMetrics | None = None,
    headline: str | None = None,
    judge: JudgeReport | None = None,
) -> Report:
    """Aggregate the reviews of one benchmark (all subsets) into its report.

    ``corpus_metrics`` computes metrics that are not means over samples from a group of reviews;
    it is called for each subset, each category and the whole benchmark. ``headline`` names the
    metric that becomes the report's ``score`` (moved first); None = the first metric.
    """
    reviews = list(reviews)
    counts = Counts()
    excluded_reasons: Counter[str] = Counter()
    error_reasons: Counter[str] = Counter()
    executions: Counter[str] = Counter()
    # subset -> sample id -> (repeat -> score dict) of scored repeats
    scored: dict[str, dict[str, dict[int, Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(dict))
    for review in reviews:
        score = review["score"]
        counts.total += 1
        status = score.get("status", "scored")
        if status == "excluded":
            counts.excluded += 1
            excluded_reasons[str(score.get("reason"))] += 1
            continue
        if status == "errored":
            counts.errored += 1
            error_reasons[_short_reason(score.get("reason"))] += 1
            continue
        counts.scored += 1
        execution = (score.get("details") or {}).get("execution")
        if isinstance(execution, Mapping):
            outcome = str(execution.get("outcome"))
            if outcome == "error" and execution.get("exception"):
                outcome = f"error: {execution['exception']}"
            executions[outcome] += 1
        counts.extraction_failures += score.get("extracted") is None
        counts.truncated += bool(score.get("truncated"))
        scored[review["subset"]][review["sample_id"]][int(review["repeat"])] = score
    counts.excluded_reasons = dict(excluded_reasons)
    counts.error_reasons = dict(error_reasons)
    counts.execution_outcomes = dict(executions.most_common()) if executions else None

    per_subset = {s: _per_sample_metrics(scored.get(s, {}), metric_list, aggregation) for s in subsets}
    metric_names = _metric_names(per_subset)
    if counts.scored and not metric_names:
        # A score of 0.0 here would be made up: the reviews hold values under other keys.
        found = sorted(
            {key for rows in scored.values() for s in rows.values() for r in s.values() for key in r.get("value", {})}
        )
        raise ValueError(
            f"{dataset_name}: {counts.scored} reviews are scored but none has a value for "
            f"{', '.join(metric_list) or 'any metric'} (their keys: {', '.join(found) or 'none'})"
        )
    metrics = [_metric_score(name, per_subset, subsets, category_map) for name in metric_names]
    if corpus_metrics is not None:
        metrics = _corpus_metric_scores(corpus_metrics, reviews, subsets, category_map) + metrics
    if judge is not None:
        judge = judge.model_copy(update={"agreement": _agreement(reviews)})
    if headline is not None:
        metrics.sort(key=lambda metric: metric.name != headline)
    return Report(
        name=f"{model_name}@{dataset_name}",
        dataset_name=dataset_name,
        dataset_pretty_name=dataset_pretty_name,
        model_name=model_name,
        benchmark_version=benchmark_version,
        dataset_id=dataset_id,
        dataset_revision=dataset_revision,
        data_sources=list(data_sources),
        aggregation=aggregation,
        repeats=repeats,
        score=metrics[0].score if metrics else 0.0,
        metrics=metrics,
        counts=counts,
        extraction_failure_rate=counts.extraction_failure_rate,
        timing=timing,
        judge=judge,
    )


def _corpus_metric_scores(
    compute: CorpusMetrics,
    reviews: Sequence[Mapping[str, Any]],
    subsets: Sequence[str],
    category_map: Mapping[str, str],
) -> list[MetricScore]:
    """Corpus metrics for the benchmark, each category and each subset, in report shape."""
    by_subset: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for review in reviews:
        by_subset[str(review.get("subset"))].append(review)
    by_category: dict[str, list[str]] = defaultdict(list)
    for subset in subsets:
        by_category[category_map.get(subset, DEFAULT_CATEGORY)].append(subset)
    overall = compute(reviews)
    subset_estimates = {subset: compute(by_subset.get(subset, [])) for subset in subsets}
    metrics = []
    for name, whole in overall.items():
        categories = []
        for category, members in by_category.items():
            if len(members) == 1:
                estimate = subset_estimates[members[0]].get(name)
            else:
                estimate = compute([r for m in members for r in by_subset.get(m, [])]).get(name)
            parts = [_subset_score(m, subset_estimates[m].get(name)) for m in members]
            populated = [p.score for p in parts if p.num]
            categories.append(
                CategoryScore(
                    name=[category],
                    num=estimate.num if estimate else 0,
                    score=estimate.score if estimate else 0.0,
                    macro_score=sum(populated) / len(populated) if populated else 0.0,
                    stderr=estimate.stderr if estimate else 0.0,
                    subsets=parts,
                    ci_low=estimate.ci_low if estimate else None,
                    ci_high=estimate.ci_high if estimate else None,
                )
            )
        populated = [e[name].score for e in subset_estimates.values() if name in e and e[name].num]
        metrics.append(
            MetricScore(
                name=name,
                num=whole.num,
                score=whole.score,
                macro_score=sum(populated) / len(populated) if populated else 0.0,
                stderr=whole.stderr,
                categories=categories,
                ci_low=whole.ci_low,
                ci_high=whole.ci_high,
                ci_level=whole.ci_level,
                method=whole.method,
            )
        )
    return metrics


def _subset_score(name: str, estimate: Estimate | None) -> SubsetScore:
    if estimate is None:
        return SubsetScore(name=name, num=0, score=0.0, stderr=0.0)
    return SubsetScore(
        name=name,
        num=estimate.num,
        score=estimate.score,
        stderr=estimate.stderr,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
    )


def _agreement(reviews: Sequence[Mapping[str, Any]]) -> float | None:
    """Share of judged reviews on which a panel of judges agreed (None without a panel)."""
    flags = [
        verdict["judges_agree"]
        for review in reviews
        for verdict in _judge_verdicts(review.get("score", {}).get("details"))
        if verdict.get("judges_agree") is not None
    ]
    return sum(map(bool, flags)) / len(flags) if flags else None


def _judge_verdicts(details: Any) -> list[Mapping[str, Any]]:
    """Every judge verdict recorded in a score's details (``judge``, or a list under ``games``/``turns``)."""
    if not isinstance(details, Mapping):
        return []
    found: list[Mapping[str, Any]] = []
    for key, value in details.items():
        if key == "judge" and isinstance(value, Mapping):
            found.append(value)
        elif isinstance(value, list):
            found.extend(v["judge"] for v in value if isinstance(v, Mapping) and isinstance(v.get("judge"), Mapping))
    return found


def _short_reason(reason: object) -> str:
    """Group error messages by their first line, trimmed, so counts stay readable."""
    text = str(reason or "unknown error").splitlines()[0]
    return text[:120]


def _per_sample_metrics(
    samples: Mapping[str, Mapping[int, Mapping[str, Any]]], metric_list: Sequence[str], aggregation: str
) -> list[dict[str, tuple[float, float]]]:
    """One dict per sample: report key -> (value from its scored repeats in order, its weight).

    The weight is how many units the sample's value averages (``Score.weights``; 1 when absent),
    read from its first scored repeat since it is a property of the sample, not of a reply.
    """
    if not samples:
        return []
    primary = metric_list[0] if metric_list else None
    rows: list[dict[str, tuple[float, float]]] = []
    for repeats in samples.values():
        ordered = [repeats[r] for r in sorted(repeats)]
        row: dict[str, tuple[float, float]] = {}
        names = list(metric_list) or sorted({k for s in ordered for k in s.get("value", {})})
        for name in names:
            values = [_as_float(s.get("value", {}).get(name)) for s in ordered]
            answers = [s.get("extracted") for s in ordered]
            weight = float((ordered[0].get("weights") or {}).get(name, 1.0))
            agg = aggregation if name == primary else "mean"
            for key, value in aggregate(agg, [SampleRepeats(values=values, answers=answers)], metric=name).items():
                row[key] = (value, weight)
        rows.append(row)
    return rows


def _metric_names(per_subset: Mapping[str, list[dict[str, tuple[float, float]]]]) -> list[str]:
    names: list[str] = []
    for rows in per_subset.values():
        for row in rows:
            for key in row:
                if key not in names:
                    names.append(key)
    return names


def _metric_score(
    name: str,
    per_subset: Mapping[str, list[dict[str, tuple[float, float]]]],
    subsets: Sequence[str],
    category_map: Mapping[str, str],
) -> MetricScore:
    by_category: dict[str, list[str]] = defaultdict(list)
    for subset in subsets:
        by_category[category_map.get(subset, DEFAULT_CATEGORY)].append(subset)
    categories = []
    all_rows: list[tuple[float, float]] = []
    subset_means: list[float] = []
    for category, members in by_category.items():
        subset_scores = []
        cat_rows: list[tuple[float, float]] = []
        for subset in members:
            rows = [row[name] for row in per_subset[subset] if name in row]
            mean, stderr = _mean_and_stderr(rows)
            subset_scores.append(SubsetScore(name=subset, num=len(rows), score=mean, stderr=stderr))
            cat_rows.extend(rows)
            if rows:
                subset_means.append(mean)
        cat_mean, cat_stderr = _mean_and_stderr(cat_rows)
        populated = [s.score for s in subset_scores if s.num]
        categories.append(
            CategoryScore(
                name=[category],
                num=len(cat_rows),
                score=cat_mean,
                macro_score=sum(populated) / len(populated) if populated else 0.0,
                stderr=cat_stderr,
                subsets=subset_scores,
            )
        )
        all_rows.extend(cat_rows)
    mean, stderr = _mean_and_stderr(all_rows)
    return MetricScore(
        name=name,
        num=len(all_rows),
        score=mean,
        macro_score=sum(subset_means) / len(subset_means) if subset_means else 0.0,
        stderr=stderr,
        categories=categories,
    )


def _mean_and_stderr(rows: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Per-sample mean, or the mean over units when samples carry weights (IFEval's instructions)."""
    values = [value for value, _ in rows]
    weights = [weight for _, weight in rows]
    if all(weight == 1.0 for weight in weights):
        return mean_and_stderr(values)
    return weighted_mean_and_stderr(values, weights)


def _as_float(value: object) -> float | None:
    """A repeat that lacks this metric carries no score (not a zero)."""
    return float(value) if isinstance(value, (int, float)) else None
