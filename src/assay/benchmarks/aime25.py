"""AIME 2025: the 30 problems of AIME 2025 I and II, 0-shot, integer answers 0-999.

Prompt, extraction and metric are ``aime24``'s, as in EvalScope 1.x: its AIME prompt asking for the
answer inside ``\\boxed{}`` and no few-shot examples; the last ``\\boxed{}`` (else ``The answer
is ...``) is extracted, and ``acc`` counts an integer literal that Math-Verify finds equal to
``answer``. A Math-Verify timeout excludes the item with a reason.
"""

from __future__ import annotations

from assay.benchmarks._competition_math_base import AIMEAdapter, aime_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    aime_meta(
        2025,
        # No licence stated by math-ai/aime25; the problems are MAA's (the shared copy's repo is MIT).
        license=None,
        sample_counts={"default": 30},  # AIME 2025 I and II (shared/data/aime/SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "answer": "70",
                "problem": "Find the sum of all integer bases $b>9$ for which $17_b$ is a divisor of $97_b.$",
            },
            source="first record of aime25/test.jsonl (Zhuofeng-Li/math-evaluation-harness)",
        ),
    )
)
class AIME25Adapter(AIMEAdapter):
    """AIME 2025 I and II."""
