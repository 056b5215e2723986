"""Planning a run: benchmarks built, samples loaded, journals opened, caches matched.

Everything here happens before the first model call, so user mistakes (unknown benchmark, missing
file, a cache made with another config) stop the run before any work is spent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assay.benchmarks import BenchmarkAdapter, build_adapter
from assay.config import TaskConfig, safe_filename
from assay.engine.fingerprint import prediction_fingerprint, run_identity, scoring_fingerprint
from assay.engine.journal import Journal
from assay.errors import UserError
from assay.judge.config import JudgeConfig
from assay.judge.service import identity_of
from assay.judge.strategy import apply_strategy, uses_judge
from assay.scoring.scorer import Scorer
from assay.types import GenerateConfig, RequestKind, Sample


@dataclass
class SubsetPlan:
    """One subset of one benchmark: its samples, journals and what the cache already holds."""

    name: str
    samples: list[Sample]
    predictions: Journal
    reviews: Journal
    cached_predictions: dict[str, dict[str, Any]] = field(default_factory=dict)
    cached_reviews: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class DatasetPlan:
    """One benchmark of the run."""

    name: str
    adapter: BenchmarkAdapter
    generate_config: GenerateConfig
    request_kind: RequestKind
    scorers: list[Scorer]
    subsets: dict[str, SubsetPlan]
    scoring_fingerprint: str
    #: True when a scorer asks the run's LLM judge.
    judged: bool = False
    #: key -> final review record, filled as the run goes (cached ones included)
    reviews: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkItem:
    """One (sample, repeat) to answer and/or score."""

    dataset: DatasetPlan
    subset: SubsetPlan
    sample: Sample
    repeat: int
    key: str
    fingerprint: str


def record_key(sample_id: str, repeat: int) -> str:
    """Journal key of one (sample, repeat)."""
    return f"{sample_id}#{repeat}"


def build_plans(
    config: TaskConfig, work_dir: Path, check: Callable[[str, BenchmarkAdapter], None] | None = None
) -> list[DatasetPlan]:
    """Build every benchmark and load its samples; user mistakes raise ``UserError`` here.

    ``check(name, adapter)`` runs for every benchmark before any data is read (the runner refuses
    there a request kind its backend cannot serve).
    """
    if not config.datasets:
        raise UserError("no benchmark given: pass --datasets NAME [NAME ...] (see `assay benchmark-info --list`)")
    unknown_args = set(config.dataset_args) - set(config.datasets)
    if unknown_args:
        raise UserError(
            f"dataset_args names {sorted(unknown_args)} which are not in --datasets {config.datasets}; "
            "add them to --datasets or remove them from --dataset-args"
        )
    model_dir = safe_filename(config.model_id or "model")
    dataset_dir = Path(config.dataset_dir) if config.dataset_dir else None
    adapters = [
        build_adapter(
            name,
            config.dataset_args.get(name),
            dataset_dir=dataset_dir,
            dataset_hub=config.dataset_hub,
            seed=config.seed,
        )
        for name in config.datasets
    ]
    for name, adapter in zip(config.datasets, adapters, strict=True):
        if check is not None:
            check(name, adapter)
    plans = []
    for name, adapter in zip(config.datasets, adapters, strict=True):
        loaded = adapter.load(limit=config.limit)
        subsets = {
            subset: SubsetPlan(
                name=subset,
                samples=samples,
                predictions=Journal(work_dir / "predictions" / model_dir / f"{name}_{safe_filename(subset)}.jsonl"),
                reviews=Journal(work_dir / "reviews" / model_dir / f"{name}_{safe_filename(subset)}.jsonl"),
            )
            for subset, samples in loaded.items()
        }
        scorers = apply_strategy(adapter, adapter.build_scorers(), config.judge)
        judged = uses_judge(scorers)
        plans.append(
            DatasetPlan(
                name=name,
                adapter=adapter,
                generate_config=adapter.generate_config(config.generation_config),
                request_kind=adapter.request_kind(),
                scorers=scorers,
                subsets=subsets,
                scoring_fingerprint=scoring_fingerprint(
                    adapter.meta, scorers, judge=identity_of(config.judge or JudgeConfig()) if judged else None
                ),
                judged=judged,
            )
        )
    return plans


def report_metrics(plan: DatasetPlan) -> list[str]:
    """The per-sample value keys the report aggregates, headline first.

    Every key the scorers write, in ``metric_list`` order (a family metric such as general_qa's
    ``BLEU`` stands for its keys ``bleu-1`` .. ``bleu-4``), with ``headline_metric`` moved first.
    """
    keys = [key for scorer in plan.scorers for key in scorer.value_keys()]
    headline = plan.adapter.meta.headline_metric
    return sorted(keys, key=lambda key: key != headline) if headline in keys else keys


def work_items(config: TaskConfig, plans: list[DatasetPlan], weights: dict[str, Any] | None = None) -> list[WorkItem]:
    """Every (sample, repeat) of the run, with its prediction fingerprint.

    ``weights`` is the backend's account of the weights it really loads, when that differs from
    what ``config.model`` names (see :func:`assay.engine.fingerprint.run_identity`).
    """
    identity = run_identity(
        model=config.model,
        eval_type=config.eval_type,
        model_args=config.model_args,
        chat_template=config.chat_template,
        weights=weights,
    )
    items = []
    for plan in plans:
        version = plan.adapter.meta.version
        for subset in plan.subsets.values():
            for sample in subset.samples:
                fingerprint = prediction_fingerprint(identity, version, sample, plan.generate_config, plan.request_kind)
                for repeat in range(config.repeats):
                    items.append(WorkItem(plan, subset, sample, repeat, record_key(sample.id, repeat), fingerprint))
    return items


def load_caches(plans: list[DatasetPlan], resume: bool) -> None:
    """Read existing journals when resuming; otherwise start each journal empty."""
    for plan in plans:
        for subset in plan.subsets.values():
            if resume:
                subset.cached_predictions = subset.predictions.load()
                subset.cached_reviews = subset.reviews.load()
            else:
                for journal in (subset.predictions, subset.reviews):
                    if journal.path.exists():
                        journal.path.unlink()


def find_mismatches(items: list[WorkItem]) -> list[WorkItem]:
    """Items whose cached prediction was made with a different prompt, model or sampling config."""
    stale = []
    for item in items:
        cached = item.subset.cached_predictions.get(item.key)
        if cached is not None and cached.get("fingerprint") != item.fingerprint:
            stale.append(item)
    return stale


def reusable_prediction(item: WorkItem) -> dict[str, Any] | None:
    """The cached prediction for this item if it matches and did not fail."""
    cached = item.subset.cached_predictions.get(item.key)
    if cached is None or cached.get("fingerprint") != item.fingerprint:
        return None
    if cached.get("output", {}).get("error"):
        return None  # failed calls are retried on resume
    return cached


def reusable_review(item: WorkItem, rerun_review: bool) -> dict[str, Any] | None:
    """The cached review if it was scored from the same prediction with the same scoring."""
    if rerun_review:
        return None
    cached = item.subset.cached_reviews.get(item.key)
    if (
        cached is None
        or cached.get("fingerprint") != item.fingerprint
        or cached.get("scoring_fingerprint") != item.dataset.scoring_fingerprint
    ):
        return None
    return cached
