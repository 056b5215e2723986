"""Assay: fast, exact, reproducible LLM evaluation and serving benchmarks (EvalScope-compatible).

Public API:
    >>> from assay import TaskConfig, run_task
    >>> reports = run_task(TaskConfig(model="mock", datasets=["gsm8k"], limit=5))  # doctest: +SKIP

Everything is imported on first use, so ``import assay`` (and ``assay --help``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from assay.benchmarks import BenchmarkMeta, register_benchmark
    from assay.config import TaskConfig
    from assay.engine.runner import run_task
    from assay.models import ModelAPI, register_model_api
    from assay.report.model import Report
    from assay.types import ChatMessage, GenerateConfig, ModelOutput, Sample, Score

_LAZY = {
    "TaskConfig": "assay.config",
    "run_task": "assay.engine.runner",
    "register_benchmark": "assay.benchmarks",
    "BenchmarkMeta": "assay.benchmarks",
    "register_model_api": "assay.models",
    "ModelAPI": "assay.models",
    "Report": "assay.report.model",
    "ChatMessage": "assay.types",
    "GenerateConfig": "assay.types",
    "ModelOutput": "assay.types",
    "Sample": "assay.types",
    "Score": "assay.types",
}

__all__ = [
    "BenchmarkMeta",
    "ChatMessage",
    "GenerateConfig",
    "ModelAPI",
    "ModelOutput",
    "Report",
    "Sample",
    "Score",
    "TaskConfig",
    "register_benchmark",
    "register_model_api",
    "run_task",
]


def __getattr__(name: str) -> Any:
    """Import public names on first access (PEP 562)."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'assay' has no attribute {name!r}")
