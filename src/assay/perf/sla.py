"""``--sla-auto-tune``: find the highest load (concurrency or rate) that still meets an SLA.

The syntax of ``--sla-params`` is EvalScope's (``evalscope/perf/sla/sla_run.py``,
``sla_criterion.py``): a JSON object, or a list of them, mapping a metric name to a condition.

* Names: ``avg_latency avg_ttft avg_tpot rps tps p50_ttft p90_ttft p99_ttft p50_tpot p90_tpot
  p99_tpot p99_latency``.
* Conditions: ``<``, ``<=``, ``>``, ``>=`` (also ``≤ ≥``) and a number, optionally with ``s`` or
  ``ms``; a bare number is read in the unit the report shows for that metric (TTFT/TPOT in ms,
  latency in s). Or ``max`` / ``min`` alone: find the load that maximises / minimises the metric.
* Within one object every condition must hold (AND); each object of a list is searched on its own
  (OR, one answer per group).

A probed value passes only if all of its requests succeeded (EvalScope's 100% success gate) and
the metric averages over ``--sla-num-runs`` runs meet the group. The search doubles (or halves)
from the starting value until the verdict flips, then bisects: it assumes that a higher load never
makes the SLA easier to meet, as EvalScope does. ``max``/``min`` climbs by doubling while the metric
improves, then narrows the last bracket by ternary search (a single peak is assumed).

Example:
    >>> groups = parse_sla_params([{"p99_ttft": "<2s", "avg_tpot": "<=50"}])
    >>> groups[0]["p99_ttft"].target, groups[0]["avg_tpot"].target
    (2000.0, 50.0)
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: SLA metric name -> (summary key, None) or (percentile column, percentile label).
SLA_METRICS: dict[str, tuple[str, str | None]] = {
    "avg_latency": ("Avg Latency (s)", None),
    "avg_ttft": ("Avg TTFT (ms)", None),
    "avg_tpot": ("Avg TPOT (ms)", None),
    "rps": ("Req Throughput (req/s)", None),
    "tps": ("Output Throughput (tok/s)", None),
    "p99_latency": ("Latency (s)", "99%"),
    "p99_ttft": ("TTFT (ms)", "99%"),
    "p90_ttft": ("TTFT (ms)", "90%"),
    "p50_ttft": ("TTFT (ms)", "50%"),
    "p99_tpot": ("TPOT (ms)", "99%"),
    "p90_tpot": ("TPOT (ms)", "90%"),
    "p50_tpot": ("TPOT (ms)", "50%"),
}
_SECONDS = {"s": 1.0, "ms": 0.001}
_CONDITION = re.compile(r"^(<=|>=|<|>)\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)$")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One condition on one metric; ``target`` is in the metric's report unit."""

    op: str  # "<", "<=", ">", ">=", "max" or "min"
    target: float = 0.0

    def passes(self, value: float) -> bool:
        """Whether ``value`` meets the condition (``max``/``min`` always do: they rank instead)."""
        checks: dict[str, Callable[[float, float], bool]] = {
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        return checks[self.op](value, self.target) if self.op in checks else True

    def __str__(self) -> str:
        return self.op if self.op in ("max", "min") else f"{self.op} {self.target:g}"


Groups = list[dict[str, Criterion]]


def _unit_of(key: str) -> str:
    """The unit in a report key's parentheses: ``'TTFT (ms)'`` -> ``'ms'``."""
    match = re.search(r"\(([^)]*)\)\s*$", key)
    return match.group(1) if match else ""


def parse_criterion(metric: str, text: Any) -> Criterion:
    """Parse ``'<=2s'``-style text for ``metric``.

    Raises:
        ValueError: the operator, number or unit cannot be read.
    """
    value = str(text).strip().replace("≤", "<=").replace("≥", ">=").replace("≧", ">=").replace(" ", "")
    if value in ("max", "min"):
        return Criterion(value)
    match = _CONDITION.match(value)
    if match is None:
        raise ValueError(f"--sla-params {metric}: cannot read {text!r}; expected e.g. '<=2s', '<50ms', '>=10', 'max'")
    op, number_text, suffix = match.groups()
    number = float(number_text)
    unit = _unit_of(SLA_METRICS[metric][0])
    if suffix and suffix != unit:
        if suffix not in _SECONDS or unit not in _SECONDS:
            raise ValueError(f"--sla-params {metric}: unit {suffix!r} does not fit this metric (measured in {unit})")
        number *= _SECONDS[suffix] / _SECONDS[unit]
    return Criterion(op, number)


def parse_sla_params(raw: Any) -> Groups:
    """Parse ``--sla-params`` (JSON text, an object, or a list of objects) into criterion groups.

    Raises:
        ValueError: bad JSON, an unknown metric, an unreadable condition, or ``max``/``min`` mixed
            with other conditions.
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ValueError(f'--sla-params is not valid JSON ({exc.msg}); e.g. \'{{"p99_ttft": "<=2s"}}\'') from None
    records = [raw] if isinstance(raw, dict) else raw
    if not isinstance(records, list) or not records:
        raise ValueError("--sla-params must be a JSON object or a non-empty list of objects")
    groups: Groups = []
    for record in records:
        if not isinstance(record, dict) or not record:
            raise ValueError("--sla-params groups must be non-empty JSON objects")
        group: dict[str, Criterion] = {}
        for name, condition in record.items():
            if name not in SLA_METRICS:
                raise ValueError(f"--sla-params: unknown metric {name!r}; known: {', '.join(sorted(SLA_METRICS))}")
            group[name] = parse_criterion(name, condition)
        groups.append(group)
    ranked = [c for g in groups for c in g.values() if c.op in ("max", "min")]
    if ranked and (len(groups) != 1 or len(groups[0]) != 1):
        raise ValueError("--sla-params: max/min needs exactly one group with one metric")
    return groups


def metric_values(summary: dict[str, Any], percentiles: dict[str, Any]) -> dict[str, float]:
    """The SLA metrics present (and finite) in one run's summary and percentile table."""
    values: dict[str, float] = {}
    labels = percentiles.get("Percentiles", [])
    for name, (key, label) in SLA_METRICS.items():
        value: Any = summary.get(key)
        if label is not None:
            column = percentiles.get(key, [])
            value = column[labels.index(label)] if label in labels and labels.index(label) < len(column) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            values[name] = float(value)
    return values


@dataclass
class SlaTrial:
    """All runs at one value of the tuned variable, and their verdict inputs."""

    value: int
    summaries: list[dict[str, Any]] = field(default_factory=list)
    percentiles: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_succeeded(self) -> bool:
        """EvalScope's gate: every request of every run succeeded."""
        return all(
            s.get("Total Requests", 0) > 0 and s.get("Success Requests") == s.get("Total Requests")
            for s in self.summaries
        )

    def averages(self) -> dict[str, float]:
        """Each SLA metric averaged over the runs (only metrics every run has)."""
        per_run = [metric_values(s, p) for s, p in zip(self.summaries, self.percentiles, strict=True)]
        names = set.intersection(*(set(v) for v in per_run)) if per_run else set()
        return {n: sum(v[n] for v in per_run) / len(per_run) for n in names}

    def passes(self, group: dict[str, Criterion]) -> bool:
        """Whether this value meets every condition of ``group``."""
        if not self.all_succeeded:
            return False
        averages = self.averages()
        return all(name in averages and c.passes(averages[name]) for name, c in group.items())


@dataclass
class Selection:
    """The answer for one criterion group."""

    criteria: dict[str, str]
    selected: int | None
    note: str


#: Runs ``--sla-num-runs`` benchmarks at one value; returns ``(summary, percentiles)`` per run.
TrialRunner = Callable[[int], list[tuple[dict[str, Any], dict[str, Any]]]]


class SlaTuner:
    """The search; ``run`` benchmarks one value of the tuned variable."""

    def __init__(self, groups: Groups, run: TrialRunner, *, start: int, lower: int, upper: int) -> None:
        self.groups = groups
        self._run = run
        self.lower, self.upper = lower, upper
        self.start = int(max(lower, min(start, upper)))
        self.trials: dict[int, SlaTrial] = {}

    def trial(self, value: int) -> SlaTrial:
        """Run (once, then cached) the benchmarks at ``value``."""
        if value not in self.trials:
            trial = SlaTrial(value)
            for summary, percentiles in self._run(value):
                trial.summaries.append(summary)
                trial.percentiles.append(percentiles)
            self.trials[value] = trial
        return self.trials[value]

    def tune(self) -> list[Selection]:
        """Search every group; one selection per group."""
        (only,) = self.groups if len(self.groups) == 1 else (None,)
        if only is not None and len(only) == 1:
            name, criterion = next(iter(only.items()))
            if criterion.op in ("max", "min"):
                return [self._optimise(name, criterion.op)]
        return [self._constrain(group) for group in self.groups]

    def _constrain(self, group: dict[str, Criterion]) -> Selection:
        criteria = {k: str(v) for k, v in group.items()}

        def ok(value: int) -> bool:
            return self.trial(value).passes(group)

        good, bad = self.start, None
        if ok(self.start):
            while good < self.upper:
                nxt = min(good * 2, self.upper)
                if not ok(nxt):
                    bad = nxt
                    break
                good = nxt
        else:
            bad, good = self.start, 0
            while bad is not None and bad > self.lower:
                nxt = max(bad // 2, self.lower)
                if ok(nxt):
                    good = nxt
                    break
                bad = nxt
            if good == 0:
                return Selection(criteria, None, f"fails even at the lower bound {self.lower}")
        while bad is not None and bad - good > 1:
            mid = (good + bad) // 2
            good, bad = (mid, bad) if ok(mid) else (good, mid)
        return Selection(criteria, good, "highest tested value meeting the SLA")

    def _optimise(self, name: str, mode: str) -> Selection:
        def score(v: int) -> float | None:
            trial = self.trial(v)
            value = trial.averages().get(name) if trial.all_succeeded else None
            return None if value is None else (value if mode == "max" else -value)

        def better(a: float | None, b: float | None) -> bool:
            return a is not None and (b is None or a > b)

        lo, cur, hi = self.lower, self.start, self.start
        while score(cur) is not None and cur < self.upper:  # climb while doubling does not hurt
            hi = min(cur * 2, self.upper)
            if better(score(cur), score(hi)):
                break
            lo, cur = cur, hi
        while hi - lo > 2:  # ternary search on integers for the single peak in [lo, hi]
            m1, m2 = lo + (hi - lo) // 3, hi - (hi - lo) // 3
            lo, hi = (lo, m2) if better(score(m1), score(m2)) else (m1, hi)
        for v in range(lo, hi + 1):
            score(v)
        scored = [(s, -v) for v, p in self.trials.items() if (s := score(v)) is not None]
        if not scored:
            return Selection({name: mode}, None, "no run succeeded completely")
        best_score, neg_value = max(scored)
        shown = best_score if mode == "max" else -best_score
        return Selection({name: mode}, -neg_value, f"best observed {name}: {shown:.4g}")


def average_results(trial: SlaTrial) -> dict[str, Any]:
    """EvalScope's averaged result of one trial: ``{"metrics": ..., "percentiles": ...}``."""
    metrics: dict[str, Any] = {}
    for key in trial.summaries[0] if trial.summaries else ():
        nums = [s[key] for s in trial.summaries if isinstance(s.get(key), (int, float))]
        if nums:
            metrics[key] = sum(nums) / len(nums)
    percentiles: dict[str, Any] = {}
    for key, first in (trial.percentiles[0] if trial.percentiles else {}).items():
        columns = [p.get(key, []) for p in trial.percentiles]
        if key == "Percentiles" or not all(isinstance(x, (int, float)) for c in columns for x in c):
            percentiles[key] = first
        else:
            percentiles[key] = [sum(c[i] for c in columns) / len(columns) for i in range(len(first))]
    return {"metrics": metrics, "percentiles": percentiles}
