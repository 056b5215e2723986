"""Benchmarks: the registry, the adapter bases, and one module per benchmark.

Example:
    >>> from assay.benchmarks import build_adapter, list_benchmarks
    >>> [meta.name for meta in list_benchmarks()][:3]
    ['arc', 'general_mcq', 'general_qa']
    >>> build_adapter("arc", {"subset_list": ["ARC-Challenge"]}).meta.subset_list
    ['ARC-Challenge']

Built-in benchmark modules are imported on first use, so importing this package is cheap.
"""

from assay.benchmarks._base import BenchmarkAdapter, DataSpec, LocalFile, SplitOrigin
from assay.benchmarks._mcq import MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import MathAdapter, QuestionAnswerAdapter
from assay.benchmarks._registry import (
    DATASET_ARGS_KEYS,
    build_adapter,
    get_benchmark_meta,
    list_benchmarks,
    register_benchmark,
)

__all__ = [
    "DATASET_ARGS_KEYS",
    "BenchmarkAdapter",
    "BenchmarkExample",
    "BenchmarkMeta",
    "DataSpec",
    "LocalFile",
    "MathAdapter",
    "MultipleChoiceAdapter",
    "QuestionAnswerAdapter",
    "SplitOrigin",
    "build_adapter",
    "get_benchmark_meta",
    "list_benchmarks",
    "register_benchmark",
]
