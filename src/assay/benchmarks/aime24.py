"""AIME 2024: the 30 problems of AIME 2024 I and II, 0-shot, integer answers 0-999.

* **Prompt** (EvalScope 1.x ``aime24``): "Solve the following math problem step by step. Put your
  answer inside \\boxed{}.", the problem, then "Remember to put your answer inside \\boxed{}."
  No few-shot examples.
* **Extraction**: the last ``\\boxed{}``, else ``The answer is ...`` or the last expression.
* **Metric**: ``acc``; the extracted answer must be an integer literal (EvalScope's
  ``integer_only``) and Math-Verify-equal to ``answer`` (``solution`` when a record has no answer).
  A Math-Verify timeout excludes the item with a reason.
"""

from __future__ import annotations

from assay.benchmarks._competition_math_base import AIMEAdapter, aime_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    aime_meta(
        2024,
        # No licence stated by math-ai/aime24 or the Qwen2.5-Math copy; the problems are MAA's.
        license=None,
        sample_counts={"default": 30},  # AIME 2024 I and II (shared/data/aime/SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "id": 60,
                "problem": "Every morning Aya goes for a $9$-kilometer-long walk and stops at a coffee shop "
                "afterwards. When she walks at a constant speed of $s$ kilometers per hour, the walk takes her 4 "
                "hours, including $t$ minutes spent in the coffee shop. When she walks $s+2$ kilometers per hour, the "
                "walk takes her 2 hours and 24 minutes, including $t$ minutes spent in the coffee shop. Suppose Aya "
                "walks at $s+\\frac{1}{2}$ kilometers per hour. Find the number of minutes the walk takes her, "
                "including the $t$ minutes spent in the coffee shop.",
                "answer": "204",
                "url": "https://artofproblemsolving.com/wiki/index.php/2024_AIME_I_Problems/Problem_1",
            },
            source="first record of aime24/test.jsonl (QwenLM/Qwen2.5-Math; long 'solution' left out)",
        ),
    )
)
class AIME24Adapter(AIMEAdapter):
    """AIME 2024 I and II."""
