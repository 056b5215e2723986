"""Helpers shared by the benchmark tests."""

from __future__ import annotations

import asyncio
import atexit
import json
import pkgutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assay import TaskConfig, benchmarks, run_task
from assay.benchmarks import BenchmarkAdapter, BenchmarkMeta
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE
from assay.mock_server import ServerConfig, run_server_in_thread
from assay.report.model import Report
from assay.scoring.context import ScoringContext
from assay.scoring.scorer import score_output
from assay.types import ModelOutput, Sample, Score

_CONTEXT: list[ScoringContext] = []


def toy_mcq_meta(name: str, **fields: Any) -> BenchmarkMeta:
    """Meta of a minimal MCQ benchmark reading ``<dir>/<subset>_<split>.jsonl``."""
    declared: dict[str, Any] = {
        "name": name,
        "pretty_name": "Toy MCQ",
        "description": "Tiny MCQ used in tests.",
        "version": "1",
        "dataset_id": "toy/mcq",
        "local_layout": "<dir>/<subset>_<split>.jsonl",
        "subset_list": ["default"],
        "train_split": "train",
        "eval_split": "test",
        "prompt_template": SINGLE_ANSWER_TEMPLATE,
        "metric_list": ["acc"],
    }
    return BenchmarkMeta(**{**declared, **fields})


def builtin_benchmarks() -> list[str]:
    """Every built-in benchmark (a public module of assay.benchmarks), not the toys tests register."""
    return sorted(info.name for info in pkgutil.iter_modules(benchmarks.__path__) if not info.name.startswith("_"))


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def scoring_context() -> ScoringContext:
    """One ScoringContext for the whole test session (worker processes start once), closed at exit."""
    if not _CONTEXT:
        _CONTEXT.append(ScoringContext())
        atexit.register(_CONTEXT[0].close)
    return _CONTEXT[0]


def scoring_fingerprint(adapter: BenchmarkAdapter) -> str:
    """The scoring fingerprint a run of ``adapter`` records in its reviews."""
    from assay.engine.fingerprint import scoring_fingerprint as fingerprint

    return fingerprint(adapter.meta, adapter.build_scorers())


def score(adapter: BenchmarkAdapter, sample: Sample, text: str = "", **output: Any) -> Score:
    """Score one reply synchronously, exactly as the engine does: filters, then the benchmark's scorers."""
    reply = ModelOutput(text=text, **output)
    return asyncio.run(score_output(adapter.build_scorers(), adapter.filters, sample, reply, scoring_context()))


def prompt_of(sample: Sample) -> str:
    """The user message of a prompted sample."""
    assert isinstance(sample.input, list)
    return sample.input[-1].content


def oracle_report(work_dir: Path, dataset: str, dataset_args: dict[str, Any], server: ServerConfig) -> Report:
    """Run ``dataset`` against the project's test server configured as ``server``; return its report.

    The oracle tests' shared scaffolding: the server's rules decide which items are answered right.
    """
    with run_server_in_thread(server) as srv:
        config = TaskConfig(
            model="mock-model",
            api_url=srv.url,
            datasets=[dataset],
            dataset_args=dataset_args,
            eval_batch_size=64,
            work_dir=str(work_dir),
            no_timestamp=True,
        )
        return run_task(config, show_progress=False)[dataset]
