"""Helpers shared by the benchmark tests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from assay.benchmarks import BenchmarkAdapter, BenchmarkMeta
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE
from assay.types import ModelOutput, Sample, Score


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


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def score(adapter: BenchmarkAdapter, sample: Sample, text: str = "", **output: Any) -> Score:
    """Score one reply synchronously."""
    return asyncio.run(adapter.score(sample, ModelOutput(text=text, **output)))


def prompt_of(sample: Sample) -> str:
    """The user message of a prompted sample."""
    assert isinstance(sample.input, list)
    return sample.input[-1].content
