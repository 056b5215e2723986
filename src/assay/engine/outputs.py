"""The output tree (EvalScope's layout) and the files written around the run.

```
<work_dir>/configs/task_config.yaml          the run's config, API key masked
<work_dir>/logs/eval_log.log                 log of this run (appended on resume)
<work_dir>/predictions/<model>/<bench>_<subset>.jsonl
<work_dir>/reviews/<model>/<bench>_<subset>.jsonl
<work_dir>/reports/<model>/<bench>.json
```
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

from assay.config import TaskConfig, safe_filename
from assay.engine.plan import DatasetPlan, report_metrics
from assay.errors import UserError
from assay.judge.config import JudgeConfig
from assay.judge.service import JudgeUsage
from assay.report.build import build_report
from assay.report.model import DataSource, JudgeReport, Report, Timing

logger = logging.getLogger("assay")

CONFIG_FILE = Path("configs") / "task_config.yaml"
#: The folders of a run's output tree.
RUN_FOLDERS = ("configs", "logs", "predictions", "reviews", "reports")


#: Output folders this process created, each with the highest folder above it created with it
#: (``outputs/`` of ``outputs/<timestamp>``, when it did not exist either; see :func:`discard_if_unused`).
_CREATED: dict[Path, Path] = {}
#: Where answers and results go: a folder with a file of any of these holds work that must be kept.
_RESULT_FOLDERS = ("predictions", "reviews", "reports", "images")


def prepare_work_dir(config: TaskConfig) -> Path:
    """Create the output tree and route the ``assay`` logger to ``logs/eval_log.log``."""
    work_dir = config.resolve_work_dir()
    if config.use_cache and not work_dir.is_dir():
        raise UserError(f"--use-cache folder not found: {work_dir} (pass the output folder of an earlier run)")
    if not work_dir.exists():
        top = work_dir.resolve()
        while not top.parent.exists():
            top = top.parent
        _CREATED[work_dir.resolve()] = top
    for sub in RUN_FOLDERS:
        (work_dir / sub).mkdir(parents=True, exist_ok=True)
    attach_log_file(work_dir / "logs" / "eval_log.log", debug=config.debug)
    return work_dir


def discard_if_unused(work_dir: Path) -> bool:
    """Remove ``work_dir`` when this process created it and a user mistake stopped the run before
    any answer was written (data that does not load, a server that cannot be reached); True if removed.

    Why: such a folder holds only a log and a config. ``assay app`` would list it as an incomplete
    run that nothing can resume, and the next attempt writes a new folder anyway; the mistake itself
    was already printed as one line. A folder that existed before (``--use-cache``, or a
    ``--no-timestamp`` folder of earlier runs) or holds any answer is never touched.
    """
    key = work_dir.resolve()
    top = _CREATED.pop(key, None)
    if top is None or any(path.is_file() for sub in _RESULT_FOLDERS for path in (work_dir / sub).rglob("*")):
        return False
    _detach_log_file()
    shutil.rmtree(key, ignore_errors=True)
    folder = key.parent
    while folder != top.parent and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()  # the empty folders made with it (rmdir refuses anything another run wrote since)
        folder = folder.parent
    return True


def _detach_log_file() -> None:
    root = logging.getLogger("assay")
    for handler in list(root.handlers):
        if isinstance(handler, logging.FileHandler) and getattr(handler, "_assay_run", False):
            root.removeHandler(handler)
            handler.close()


def log_file_handler(path: Path) -> logging.FileHandler:
    """A handler appending to a run's log file, in the one format every run log has."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def attach_log_file(path: Path, debug: bool) -> None:
    """Route the ``assay`` logger to ``path``, in place of the previous run's file."""
    _detach_log_file()
    root = logging.getLogger("assay")
    handler = log_file_handler(path)
    handler._assay_run = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def save_config(config: TaskConfig, work_dir: Path) -> None:
    """Write configs/task_config.yaml (secrets masked)."""
    import yaml

    path = work_dir / CONFIG_FILE
    path.write_text(yaml.safe_dump(config.to_safe_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    logger.info("config: %s", config.to_safe_dict())


def read_saved_config(work_dir: Path) -> dict[str, Any]:
    """The config an earlier run saved in ``work_dir`` ({} if none or unreadable)."""
    import yaml

    path = work_dir / CONFIG_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def write_reports(
    config: TaskConfig,
    work_dir: Path,
    plans: list[DatasetPlan],
    timings: Mapping[str, Timing],
    judge_usage: Mapping[str, JudgeUsage] | None = None,
) -> dict[str, Report]:
    """Aggregate each benchmark's reviews and write ``reports/<model>/<bench>.json``."""
    reports: dict[str, Report] = {}
    model_name = config.model_id or "model"
    out_dir = work_dir / "reports" / safe_filename(model_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    for plan in plans:
        meta = plan.adapter.meta
        report = build_report(
            reviews=plan.reviews.values(),
            dataset_name=plan.name,
            dataset_pretty_name=meta.pretty_name,
            model_name=model_name,
            benchmark_version=meta.version,
            metric_list=report_metrics(plan),
            aggregation=meta.aggregation,
            repeats=config.repeats,
            subsets=list(plan.subsets),
            category_map=meta.category_map,
            timing=timings[plan.name],
            dataset_id=meta.dataset_id,
            dataset_revision=meta.dataset_revision,
            data_sources=[DataSource(**dataclasses.asdict(origin)) for origin in plan.adapter.data_sources],
            corpus_metrics=plan.adapter.corpus_metrics,
            headline=meta.headline_metric,
            judge=_judge_report(config, (judge_usage or {}).get(plan.name)) if plan.judged else None,
        )
        (out_dir / f"{plan.name}.json").write_bytes(
            orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2)
        )
        reports[plan.name] = report
    return reports


def _judge_report(config: TaskConfig, usage: JudgeUsage | None) -> JudgeReport:
    """The judge part of a judged benchmark's report (zeros when every review came from the cache)."""
    judge = config.judge or JudgeConfig()
    usage = usage or JudgeUsage()
    return JudgeReport(
        judges=[model.name for model in judge.resolved_models()],
        strategy=judge.strategy,
        requests=usage.requests,
        cached=usage.cached,
        transport_errors=usage.transport_errors,
        parse_errors=usage.parse_errors,
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        mean_latency_s=usage.latency_s / usage.requests if usage.requests else 0.0,
        wall_s=usage.wall_s,
        requests_per_s=usage.requests / usage.wall_s if usage.wall_s > 0 else 0.0,
    )
