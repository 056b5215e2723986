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
from assay.benchmarks._registry import register_benchmark


@register_benchmark(aime_meta(2024))
class AIME24Adapter(AIMEAdapter):
    """AIME 2024 I and II."""
