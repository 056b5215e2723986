"""MATH-500: 500 problems of the MATH test set (OpenAI's PRM800K split), 0-shot, by difficulty level.

* **Prompt** (EvalScope 1.x ``math_500``): ``{question}`` followed by "Please reason step by step,
  and put your final answer within \\boxed{}." No few-shot examples.
* **Subsets**: ``Level 1`` ... ``Level 5``, taken from each record's ``level`` column of the one
  test file (EvalScope's ``reformat_subset``).
* **Extraction**: the last ``\\boxed{}`` (nested braces kept), else ``The answer is ...`` or the last
  expression, as Math-Verify reads it.
* **Metric**: ``acc``, Math-Verify equivalence with the ``answer`` column, run in the process pool
  with a per-item time limit; a timeout excludes the item with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._competition_math_base import BOXED_PROMPT, answer_text
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import MathAdapter
from assay.benchmarks._registry import register_benchmark
from assay.types import Sample

LEVELS = [f"Level {n}" for n in range(1, 6)]


def level_of(record: Mapping[str, Any]) -> str:
    """The subset of a MATH-500 record: ``Level <level>``."""
    return f"Level {record['level']}"


@register_benchmark(
    BenchmarkMeta(
        name="math_500",
        pretty_name="MATH-500",
        description=(
            "MATH-500 measures competition-math problem solving on the 500-problem MATH test subset "
            "chosen for PRM800K (algebra, geometry, number theory, counting and probability, "
            "precalculus ...), reported per difficulty level 1-5. The model is asked to reason step by "
            "step and put the final answer in \\boxed{}; the answer is extracted with Math-Verify and "
            "counted correct when it is mathematically equivalent to the reference answer."
        ),
        tags=["math", "reasoning"],
        paper_url="https://arxiv.org/abs/2305.20050",
        version="1",
        dataset_id="HuggingFaceH4/MATH-500",
        modelscope_dataset_id="AI-ModelScope/MATH-500",
        homepage="https://github.com/openai/prm800k",
        license="MIT",  # openai/prm800k LICENSE (shared/data/math500/SOURCE.md)
        # Per level, from the upstream test.jsonl (500 in all; SOURCE.md; tested).
        sample_counts={"Level 1": 43, "Level 2": 90, "Level 3": 105, "Level 4": 128, "Level 5": 134},
        example=BenchmarkExample(
            record={
                "problem": "Suppose $\\sin D = 0.7$ in the diagram below. What is $DE$? [asy]\npair D,E,F;\nF = "
                "(0,0);\nD = (sqrt(51),7);\nE = (0,7);\ndraw(D--E--F--D);\ndraw(rightanglemark(D,E,F,15));\n"
                'label("$D$",D,NE);\nlabel("$E$",E,NW);\nlabel("$F$",F,SW);\nlabel("$7$",(E+F)/2,W);'
                "\n[/asy]",
                "answer": "\\sqrt{51}",
                "subject": "Precalculus",
                "level": 1,
                "unique_id": "test/precalculus/1303.json",
            },
            subset="Level 1",
            source="first Level 1 record of test.jsonl (openai/prm800k math_splits; 'solution' left out)",
        ),
        local_layout=(
            "the upstream file <dir>/test.jsonl (openai/prm800k math_splits) or hub-style "
            "<dir>/default/test.jsonl|parquet; records have problem, answer, level, unique_id"
        ),
        available_subsets=LEVELS,
        subset_list=LEVELS,
        eval_split="test",
        few_shot_num=0,
        prompt_template=BOXED_PROMPT,
        metric_list=["acc"],
    )
)
class Math500Adapter(MathAdapter):
    """PRM800K records (``problem``, ``answer``, ``level``, ``unique_id``) grouped by level."""

    data: ClassVar[DataSpec] = DataSpec(subset_key=level_of)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(
            id=str(record["unique_id"]),
            input=str(record["problem"]),
            target=answer_text(record["answer"]),
            subset=subset,
            metadata={"subject": record.get("subject", ""), "solution": record.get("solution", "")},
        )
