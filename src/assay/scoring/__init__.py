"""Scoring: scorers and the context they share, answer extraction and equivalence, aggregation, statistics.

A :class:`~assay.scoring.scorer.Scorer` judges one output; the engine owns one
:class:`~assay.scoring.context.ScoringContext` per run for the resources scorers share. Heavy
libraries (SymPy via Math-Verify, sacrebleu, rouge-score) load on first use, not on import.
"""

from assay.scoring.aggregate import (
    AGGREGATIONS,
    AggregateValue,
    SampleRepeats,
    aggregate,
    aggregate_with_counts,
)
from assay.scoring.context import ScoringContext
from assay.scoring.math_equiv import (
    MathReferenceError,
    MathVerifier,
    MathVerifyError,
    fast_math_equal,
    math_equal,
)
from assay.scoring.scorer import BaseScorer, Scorer, build_scorers, get_scorer, register_scorer, score_output
from assay.scoring.stats import mean_and_stderr, weighted_mean_and_stderr
from assay.scoring.text_metrics import TEXT_SIMILARITY_KEYS, text_similarity

__all__ = [
    "AGGREGATIONS",
    "TEXT_SIMILARITY_KEYS",
    "AggregateValue",
    "BaseScorer",
    "MathReferenceError",
    "MathVerifier",
    "MathVerifyError",
    "SampleRepeats",
    "Scorer",
    "ScoringContext",
    "aggregate",
    "aggregate_with_counts",
    "build_scorers",
    "fast_math_equal",
    "get_scorer",
    "math_equal",
    "mean_and_stderr",
    "register_scorer",
    "score_output",
    "text_similarity",
    "weighted_mean_and_stderr",
]
