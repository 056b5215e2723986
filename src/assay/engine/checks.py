"""Checks made before a run spends anything: the config against every benchmark, and a resume's cache.

:func:`check_task` finds every mistake that needs no data and no network (backend, benchmarks and
their ``dataset_args``, aggregation, request kinds, judge), so a typo costs milliseconds and leaves no
output folder. :func:`explain_mismatch` says why a ``--use-cache`` resume is refused: the cached
answers were made with other settings, named from the cached run's saved config.
"""

from __future__ import annotations

from pathlib import Path

from assay.benchmarks import build_adapter
from assay.config import TaskConfig
from assay.engine.executors import build_executor
from assay.engine.plan import WorkItem
from assay.engine.ray_placement import PLACEMENT_MODEL_ARGS, actor_placement
from assay.engine.requests import check_support
from assay.errors import UserError, did_you_mean
from assay.judge.config import JudgeConfig
from assay.judge.strategy import apply_strategy, uses_judge
from assay.models import ModelAPI, get_model_api
from assay.models._api import backend_defaults, infer_eval_type
from assay.scoring.aggregate import AGGREGATIONS

__all__ = ["build_model", "check_task", "config_diff", "explain_mismatch"]


def build_model(config: TaskConfig) -> ModelAPI:
    """The backend of ``config.eval_type``, with the options it takes (it loads nothing yet)."""
    eval_type = config.eval_type or infer_eval_type(config.model, config.api_url)
    factory = get_model_api(eval_type)
    # Placement keys (num_gpus, num_cpus) say where a Ray actor runs; the backend never sees them.
    model_args = {k: v for k, v in config.model_args.items() if k not in PLACEMENT_MODEL_ARGS}
    if config.chat_template is not None and backend_defaults(eval_type).accepts_chat_template:
        model_args.setdefault("chat_template", config.chat_template)
    return factory(model=config.model or "", api_url=config.api_url, api_key=config.api_key_value, **model_args)


def check_task(config: TaskConfig) -> None:
    """Check all of a run that needs no data and no network, so that a typo costs milliseconds.

    The backend and its options; every benchmark with its ``dataset_args`` (subsets, metrics,
    filters, templates, aggregation), the request kind it needs from the backend, and the judge
    strategy. Called before the output folder is made, so a mistake leaves nothing to resume.

    Raises:
        UserError: The first mistake found.
    """
    if config.eval_type in ("embedding", "rerank"):
        return  # assay.embed checks its own tasks
    model = build_model(config)
    build_executor(config)  # `--executor ray` without Ray installed
    if config.executor == "ray":
        actor_placement(config)  # a bad num_gpus / num_cpus
    if not config.datasets:
        raise UserError("no benchmark given: pass --datasets NAME [NAME ...] (see `assay benchmark-info --list`)")
    stray = sorted(set(config.dataset_args) - set(config.datasets))
    if stray:
        raise UserError(f"dataset_args names {stray} which are not in --datasets {config.datasets}; add them there")
    dataset_dir = Path(config.dataset_dir) if config.dataset_dir else None
    for name in config.datasets:
        adapter = build_adapter(
            name, config.dataset_args.get(name), dataset_dir=dataset_dir, dataset_hub=config.dataset_hub
        )
        check_support(model, adapter.request_kind(), benchmark=name)
        aggregation = adapter.meta.aggregation
        if aggregation not in AGGREGATIONS:
            raise UserError(
                f"unknown aggregation {aggregation!r} for {name}{did_you_mean(aggregation, AGGREGATIONS)}; "
                f"choose one of {', '.join(AGGREGATIONS)}"
            )
        if uses_judge(apply_strategy(adapter, adapter.build_scorers(), config.judge)):
            (config.judge or JudgeConfig()).resolved_models()  # a judge with no model or URL


def explain_mismatch(stale: list[WorkItem], work_dir: Path, config: TaskConfig) -> str:
    """Why a resume is refused: how many cached items of each benchmark no longer match, and what changed."""
    by_dataset: dict[str, int] = {}
    for item in stale:
        by_dataset[item.dataset.name] = by_dataset.get(item.dataset.name, 0) + 1
    parts = ", ".join(f"{n} in {name}" for name, n in by_dataset.items())
    return (
        f"the cache in {work_dir} holds predictions made with a different model, prompt or generation config "
        f"({parts}); resume with the same settings, or start a new run without --use-cache"
        f"{config_diff(work_dir, config)}"
    )


def config_diff(work_dir: Path, config: TaskConfig) -> str:
    """Name the settings that changed, from the cached run's saved config."""
    from assay.engine.outputs import read_saved_config

    saved = read_saved_config(work_dir)
    if not saved:
        return ""
    diffs = []
    current = config.to_safe_dict()
    for key in ("model", "eval_type", "model_args", "chat_template", "generation_config", "dataset_args"):
        if saved.get(key) != current.get(key):
            diffs.append(f"{key}: {saved.get(key)!r} -> {current.get(key)!r}")
    return f" [changed: {'; '.join(diffs)}]" if diffs else ""
