"""BoolQ: yes/no questions about a Wikipedia passage, asked as a two-option MCQ.

As in EvalScope (``evalscope/benchmarks/boolq/boolq_adapter.py``, evaluation version v1.1): the
validation split of ``google/boolq``, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER``
with the question ``Passage:\\n<passage>\\n\\nQuestion: <question>`` and options ``Yes``/``No``; the
boolean ``answer`` True is A. The reply's ``ANSWER: X`` letter is scored by exact match (``acc``).
EvalScope's ``decision_kind``/``decision_threshold`` options (for its decision-API backends) have no
counterpart here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._commonsense_mcq_base import AnswerFormat, ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    commonsense_meta(
        name="boolq",
        pretty_name="BoolQ",
        description=(
            "BoolQ pairs naturally occurring yes/no questions with a Wikipedia passage that answers them. "
            "The 3,270 validation questions are asked zero-shot with the passage as a two-option (Yes/No) "
            "question; the model answers 'ANSWER: <letter>' and is scored by exact match of the letter."
        ),
        tags=["multiple-choice"],
        paper_url="https://arxiv.org/abs/1905.10044",
        dataset_id="google/boolq",
        homepage="https://github.com/google-research-datasets/boolean-questions",
        license=None,  # not confirmed offline (see the homepage)
        sample_counts={"default": 3270},  # validation split (hub dataset_info of BoolQ copies: 3,270)
        example=BenchmarkExample(
            record={
                "question": "is a tomato a fruit",
                "passage": "Botanically, a tomato is the fruit of the tomato plant.",
                "answer": True,
            },
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout="hub-style <dir>/default/validation.jsonl|parquet (or <dir>/validation.*) with "
        "question, passage and a boolean answer",
        train_split="train",
        eval_split="validation",
    )
)
class BoolQAdapter(ColumnsMCQAdapter):
    """Passage and question in one input; options are always Yes/No."""

    fixed_choices: ClassVar[tuple[str, ...] | None] = ("Yes", "No")
    answer_format: ClassVar[AnswerFormat] = "yes_no"

    def question_text(self, record: Mapping[str, Any]) -> str:
        return f"Passage:\n{record['passage']}\n\nQuestion: {record['question']}"
