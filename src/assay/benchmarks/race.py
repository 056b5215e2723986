"""RACE: reading comprehension questions from Chinese middle- and high-school English exams.

As in EvalScope (``evalscope/benchmarks/race/race_adapter.py``): subsets ``high`` and ``middle`` of
``ehovy/race``, the test split, 3 examples from ``train`` (at most 3 allowed), prompt
``MultipleChoiceTemplate.SINGLE_ANSWER_COT`` with the question ``Article:\\n<article>\\nQuestion:\\n
<question>``, the record's four ``options`` and letter ``answer``. The reply's last ``ANSWER: X``
letter is scored by exact match (``acc``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._commonsense_mcq_base import ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError

#: Articles are long; EvalScope allows at most 3 examples per prompt.
MAX_FEW_SHOT = 3


@register_benchmark(
    commonsense_meta(
        name="race",
        pretty_name="RACE",
        description=(
            "RACE (ReAding Comprehension from Examinations) asks four-option questions about English "
            "passages from Chinese middle-school (easier) and high-school exams. Each test question comes "
            "with 3 worked examples from the train split and a step-by-step instruction ending in "
            "'ANSWER: <letter>'; the extracted letter is scored by exact match, per subset."
        ),
        paper_url="https://arxiv.org/abs/1704.04683",
        dataset_id="ehovy/race",
        modelscope_dataset_id="evalscope/race",
        homepage="https://www.cs.cmu.edu/~glai1/data/race/",
        license=None,  # the ehovy/race hub card says 'other' (research use); see the homepage
        sample_counts={"high": 3498, "middle": 1436},  # test splits of ehovy/race (4,934 in all)
        example=BenchmarkExample(
            record={
                "example_id": "high1.txt",
                "article": "Tom moved to Paris in 1990.",
                "question": "Where did Tom move?",
                "options": ["London", "Rome", "Paris", "Berlin"],
                "answer": "C",
            },
            subset="high",
            source="illustrative record in the hub schema, not from the dataset",
        ),
        local_layout="hub-style <dir>/<high|middle>/test.jsonl|parquet and train.* with example_id, "
        "article, question, options (list) and answer (a letter)",
        available_subsets=["high", "middle"],
        subset_list=["high", "middle"],
        train_split="train",
        eval_split="test",
        few_shot_num=3,
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
    )
)
class RACEAdapter(ColumnsMCQAdapter):
    """Article and question in one input, ``options`` as choices, ``example_id`` as the id."""

    choices_columns: ClassVar[tuple[str, ...]] = ("options",)
    id_column: ClassVar[str | None] = "example_id"

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        if meta.few_shot_num > MAX_FEW_SHOT:
            raise UserError(
                f"race allows at most {MAX_FEW_SHOT} few-shot examples, got few_shot_num={meta.few_shot_num}"
            )
        return super().finalize_meta(meta, given)

    def question_text(self, record: Mapping[str, Any]) -> str:
        return f"Article:\n{record['article']}\nQuestion:\n{record['question']}"
