"""Winogrande: Winograd-style two-option fill-in-the-blank commonsense problems.

As in EvalScope (``evalscope/benchmarks/winogrande/winogrande_adapter.py``): the validation set of
``liyucheng/winogrande_val`` (1,267 items), zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER``
with the sentence (containing ``_``) as the question and ``option1``/``option2`` as A/B; the answer
key ``"1"``/``"2"`` becomes A/B. The reply's ``ANSWER: X`` letter is scored by exact match (``acc``).
"""

from __future__ import annotations

from typing import ClassVar

from assay.benchmarks._commonsense_mcq_base import AnswerFormat, ColumnsMCQAdapter, commonsense_meta
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark


@register_benchmark(
    commonsense_meta(
        name="winogrande",
        pretty_name="Winogrande",
        description=(
            "Winogrande tests commonsense reasoning with Winograd-schema sentences whose blank '_' must be "
            "filled by one of two noun phrases, adversarially filtered against dataset biases. The 1,267 "
            "validation problems are asked zero-shot as two-option questions; the model answers "
            "'ANSWER: <letter>' and is scored by exact match of the extracted letter."
        ),
        paper_url="https://arxiv.org/abs/1907.10641",
        dataset_id="liyucheng/winogrande_val",
        modelscope_dataset_id="AI-ModelScope/winogrande_val",
        homepage="https://winogrande.allenai.org",
        license=None,  # no licence on the liyucheng/winogrande_val or allenai/winogrande hub cards
        sample_counts={"default": 1267},  # the WinoGrande dev set EvalScope evaluates
        example=BenchmarkExample(
            record={
                "sentence": "The trophy would not fit in the case because _ was too small.",
                "option1": "the trophy",
                "option2": "the case",
                "answer": "2",
            },
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout="hub-style <dir>/default/validation.jsonl|parquet (or <dir>/validation.*) with "
        "sentence, option1, option2, answer ('1' or '2')",
        eval_split="validation",
    )
)
class WinograndeAdapter(ColumnsMCQAdapter):
    """``sentence`` with ``option1``/``option2``; ``answer`` is the 1-based option number."""

    question_column: ClassVar[str] = "sentence"
    choices_columns: ClassVar[tuple[str, ...]] = ("option1", "option2")
    answer_format: ClassVar[AnswerFormat] = "index1"
