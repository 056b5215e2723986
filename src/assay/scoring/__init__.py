"""Scoring: answer equivalence, text similarity, aggregation over repeats, and statistics.

Heavy libraries (SymPy via Math-Verify, sacrebleu, rouge-score) load on first use, not on import.
"""

from assay.scoring.aggregate import (
    AGGREGATIONS,
    AggregateValue,
    SampleRepeats,
    aggregate,
    aggregate_with_counts,
)
from assay.scoring.math_equiv import (
    MathReferenceError,
    MathVerifier,
    MathVerifyError,
    fast_math_equal,
    get_math_verifier,
    math_equal,
)
from assay.scoring.stats import clustered_stderr, mean_and_stderr, micro_macro
from assay.scoring.text_metrics import TEXT_SIMILARITY_KEYS, text_similarity

__all__ = [
    "AGGREGATIONS",
    "TEXT_SIMILARITY_KEYS",
    "AggregateValue",
    "MathReferenceError",
    "MathVerifier",
    "MathVerifyError",
    "SampleRepeats",
    "aggregate",
    "aggregate_with_counts",
    "clustered_stderr",
    "fast_math_equal",
    "get_math_verifier",
    "math_equal",
    "mean_and_stderr",
    "micro_macro",
    "text_similarity",
]
