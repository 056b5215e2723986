"""MMLU-Redux: MMLU with re-annotated answers (wrong keys, missing or several correct options).

As in EvalScope (``evalscope/benchmarks/mmlu_redux/mmlu_redux_adapter.py``):

* **Prompt**: ``SINGLE_ANSWER_TEMPLATE_COT`` (step by step, last line ``ANSWER: [LETTER]``).
* **Few-shot**: none; there is no train split and a ``few_shot_num`` above 0 is reset to 0 with a
  warning, as EvalScope does.
* **Gold**: the record's ``answer`` index, corrected from ``error_type``/``correct_answer``:
  ``no_correct_answer`` puts the corrected text in place of the keyed option, ``wrong_groundtruth``
  moves the key (an index or a letter), ``multiple_correct_answers`` keys every listed option
  (indices or letters separated by commas, spaces, ``and``/``or``, or option texts); when nothing
  is left, every option counts.
* **Extraction**: the ``ANSWER: X`` letter (``extract_choice``).
* **Metric**: ``acc`` with inclusion (EvalScope's ``allow_inclusion``): the letter is right when it
  is any of the gold letters; per subject and over STEM, Humanities, Social Science, Other.

Data: ``edinburgh-dawg/mmlu-redux-2.0`` (one configuration per subject, split ``test``), or local
hub-style files ``<dir>/<subject>/test.jsonl|parquet``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._mcq import (
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    SINGLE_ANSWER_TEMPLATE_COT,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks.mmlu import SUBJECT_CATEGORIES  # same 57 subjects and categories
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample

logger = logging.getLogger(__name__)


def corrected_targets(record: Mapping[str, Any], choices: list[str]) -> list[int]:
    """Gold option indices after the re-annotation; ``choices`` is updated in place for a missing option.

    Raises:
        ValueError: The correction cannot be read as options of this question.
    """
    error_type = record.get("error_type")
    correct = record.get("correct_answer")
    targets = [int(record["answer"])]
    if not correct:
        return targets
    text = str(correct)
    if error_type == "no_correct_answer":
        choices[targets[0]] = text
    elif error_type == "wrong_groundtruth":
        targets = [int(text)] if text.strip().lstrip("-").isdigit() else [ord(text) - ord("A")]
    elif error_type == "multiple_correct_answers":
        text = text.strip("()").replace(" and ", ",").replace(" or ", ",")
        parts = text.replace(",", " ").split()
        if all(p.lstrip("-").isdigit() for p in parts):
            targets = [int(p) for p in parts]
        elif all(len(p) == 1 for p in text.split(",")):
            targets = [ord(p) - ord("A") for p in text.split(",")]
        else:
            targets = [choices.index(p) for p in text.split(",") if p in choices]
    return targets


@register_benchmark(
    BenchmarkMeta(
        name="mmlu_redux",
        pretty_name="MMLU-Redux",
        description=(
            "MMLU-Redux re-annotates MMLU's 57 subjects, fixing wrong answer keys, questions without a "
            "correct option and questions with several correct options. Zero-shot with a step-by-step "
            "instruction ending in 'ANSWER: <letter>'; a letter counts as correct when it is any of the "
            "corrected gold options. Reported per subject and over STEM, Humanities, Social Science, Other."
        ),
        tags=["knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2406.04127",
        version="1",
        dataset_id="edinburgh-dawg/mmlu-redux-2.0",
        homepage="https://huggingface.co/datasets/edinburgh-dawg/mmlu-redux-2.0",
        license="CC-BY-4.0",  # hub card of edinburgh-dawg/mmlu-redux-2.0
        # 100 re-annotated questions per subject, 5,700 in all (MMLU-Redux 2.0, arXiv 2406.04127).
        sample_counts=dict.fromkeys(SUBJECT_CATEGORIES, 100),
        example=BenchmarkExample(
            record={
                "question": "Which element is a ring identity?",
                "choices": ["0", "1", "2", "3"],
                "answer": 0,
                "error_type": "wrong_groundtruth",
                "source": "x",
                "correct_answer": "B",
                "potential_reason": "",
            },
            subset="abstract_algebra",
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout=(
            "hub-style <dir>/<subject>/test.jsonl|parquet with question, choices (list), answer (0-based index), "
            "error_type and correct_answer"
        ),
        available_subsets=list(SUBJECT_CATEGORIES),
        subset_list=list(SUBJECT_CATEGORIES),
        train_split=None,
        eval_split="test",
        few_shot_num=0,
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
        category_map=SUBJECT_CATEGORIES,
    )
)
class MMLUReduxAdapter(MultipleChoiceAdapter):
    """Reads the hub schema and applies the re-annotation; ``acc`` accepts any gold letter."""

    default_scorers: ClassVar[dict[str, str]] = {"acc": "choice"}

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        if meta.few_shot_num > 0:
            logger.warning("mmlu_redux has no few-shot examples; setting few_shot_num to 0 (as EvalScope does)")
            meta = meta.with_overrides({"few_shot_num": 0})
        return super().finalize_meta(meta, given)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices = [str(option) for option in record["choices"]]
        try:
            indices = corrected_targets(record, choices)
            if any(not 0 <= i < len(choices) for i in indices):
                raise ValueError(f"gold options {indices} outside {len(choices)} options")
        except (ValueError, TypeError) as exc:
            raise UserError(f"MMLU-Redux {subset} record {index}: cannot read the corrected answer: {exc}") from exc
        targets = [choice_label(i) for i in indices] if indices else [choice_label(i) for i in range(len(choices))]
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            choices=choices,
            target=targets,
            subset=subset,
            metadata={"error_type": record.get("error_type"), "correct_answer": record.get("correct_answer")},
        )

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        # One letter is read, and it counts when it is any of the re-annotated gold letters.
        return {name: {**options, "any_gold": True} for name, options in super().scorer_options().items()}
