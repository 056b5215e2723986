"""MMMU: college-level questions over 30 subjects, each with one to seven images placed in its text.

As in EvalScope 1.x (``evalscope/benchmarks/mmmu/mmmu_adapter.py``):

* **Data**: the ``validation`` split of each of the 30 subject configurations (30 questions each,
  900 in all), zero-shot; ``AI-ModelScope/MMMU`` on ModelScope, its original ``MMMU/MMMU`` on the
  Hugging Face hub. No revision is pinned: neither EvalScope nor its docs name one.
* **Prompt**: a multiple-choice question (``question_type`` ``multiple-choice``, ``options`` a
  Python-literal list) gets ``MultipleChoiceTemplate.SINGLE_ANSWER_COT``; an open one gets
  EvalScope's ``OPEN_PROMPT`` ("... in the form "ANSWER: [ANSWER]" ..."), our ``prompt_template``.
* **Images**: ``image_1`` ... ``image_7`` go where their ``<image n>`` placeholders are, in the
  question or in an option (an option may be just ``<image 2>``), as content parts in text order.
* **Scoring** (``acc``, the ``mmmu_answer`` scorer): the option letter after ``ANSWER:`` for
  multiple choice; for open questions the text after the last ``ANSWER:`` (else the whole reply),
  equal to the gold after trimming and lower-casing.

Differences, each where EvalScope's behaviour is surprising (see also
:mod:`assay.scoring.scorers.mmmu`):

* a user's ``prompt_template`` is used for open questions (EvalScope ignores it and always sends its
  constant); multiple-choice questions keep EvalScope's template;
* a question whose text has no placeholder at all still gets its images, before the text
  (EvalScope then sends none);
* open gold answers written as a list of alternatives accept any of them, and a multiple-choice
  gold letter outside the options excludes the item instead of scoring it 0;
* reports also group the subjects into MMMU's six disciplines (``category_map``).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import assay.scoring.scorers.mmmu  # noqa: F401 - registers the mmmu_answer scorer named below
from assay.benchmarks._base import BenchmarkAdapter
from assay.benchmarks._mcq import choice_or_open_prompt
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision import ImagesInPrompt, collect_images
from assay.errors import UserError
from assay.types import Sample

#: EvalScope's ``OPEN_PROMPT`` for open questions, character for character.
OPEN_PROMPT = (
    '\nSolve the following problem step by step. The last line of your response should be of the form "ANSWER: '
    '[ANSWER]" (without quotes) where [ANSWER] is the answer to the problem.\n\n{question}\n\nRemember to put your '
    'answer on its own line at the end in the form "ANSWER: [ANSWER]" (without quotes) where [ANSWER] is the answer '
    "to the problem, and you do not need to use a \\boxed command.\n\n"
)

#: Subject -> MMMU discipline (the paper's six; EvalScope's subset list, in its order, is the keys').
DISCIPLINES: dict[str, str] = {
    "Accounting": "Business",
    "Agriculture": "Tech and Engineering",
    "Architecture_and_Engineering": "Tech and Engineering",
    "Art": "Art and Design",
    "Art_Theory": "Art and Design",
    "Basic_Medical_Science": "Health and Medicine",
    "Biology": "Science",
    "Chemistry": "Science",
    "Clinical_Medicine": "Health and Medicine",
    "Computer_Science": "Tech and Engineering",
    "Design": "Art and Design",
    "Diagnostics_and_Laboratory_Medicine": "Health and Medicine",
    "Economics": "Business",
    "Electronics": "Tech and Engineering",
    "Energy_and_Power": "Tech and Engineering",
    "Finance": "Business",
    "Geography": "Science",
    "History": "Humanities and Social Science",
    "Literature": "Humanities and Social Science",
    "Manage": "Business",
    "Marketing": "Business",
    "Materials": "Tech and Engineering",
    "Math": "Science",
    "Mechanical_Engineering": "Tech and Engineering",
    "Music": "Art and Design",
    "Pharmacy": "Health and Medicine",
    "Physics": "Science",
    "Psychology": "Humanities and Social Science",
    "Public_Health": "Health and Medicine",
    "Sociology": "Humanities and Social Science",
}

MULTIPLE_CHOICE = "multiple-choice"
OPEN = "open"


@register_benchmark(
    BenchmarkMeta(
        name="mmmu",
        pretty_name="MMMU",
        description=(
            "MMMU (Massive Multi-discipline Multimodal Understanding) measures expert-level perception and "
            "reasoning with college exam questions over 30 subjects in six disciplines, each question showing one "
            "to seven images (charts, diagrams, tables, chemical structures, music sheets ...) placed in its text "
            "or as answer options. The 900 validation questions are asked zero-shot: multiple-choice ones with a "
            "step-by-step prompt ending in 'ANSWER: <letter>', open ones ending in 'ANSWER: <answer>'; a letter is "
            "scored by exact match, an open answer by case-insensitive exact match with the reference."
        ),
        tags=["multimodal", "knowledge", "reasoning", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2311.16502",
        version="1",
        dataset_id="MMMU/MMMU",
        modelscope_dataset_id="AI-ModelScope/MMMU",
        homepage="https://mmmu-benchmark.github.io/",
        license="Apache-2.0",  # the MMMU/MMMU dataset card
        sample_counts=dict.fromkeys(DISCIPLINES, 30),  # validation split (EvalScope's _meta/mmmu.json)
        example=BenchmarkExample(
            record={
                "id": "validation_Math_0",
                "question": "Which graph has the same shape as the curve in <image 1>, shifted up by 2?",
                "options": "['<image 2>', '<image 3>']",
                "image_1": {"bytes": None, "path": "https://example.com/mmmu/curve.png"},
                "image_2": {"bytes": None, "path": "https://example.com/mmmu/option_a.png"},
                "image_3": {"bytes": None, "path": "https://example.com/mmmu/option_b.png"},
                "answer": "B",
                "question_type": "multiple-choice",
                "subfield": "Calculus",
                "img_type": "['Plots and Charts']",
                "topic_difficulty": "Easy",
            },
            subset="Math",
            source="illustrative record in the hub schema (MMMU/MMMU parquet), not from the dataset; its image "
            "cells hold example.com URLs instead of image bytes",
        ),
        local_layout=(
            "a Hugging Face snapshot of MMMU/MMMU: <dir>/<Subject>/validation-00000-of-00001.parquet (or "
            "<dir>/<Subject>/validation.parquet|jsonl) with id, question, options (a Python-literal list), answer, "
            "question_type, image_1 ... image_7 ({'bytes', 'path'} image cells)"
        ),
        available_subsets=list(DISCIPLINES),
        subset_list=list(DISCIPLINES),
        eval_split="validation",
        few_shot_num=0,
        prompt_template=OPEN_PROMPT,
        scorers={"acc": "mmmu_answer"},
        metric_list=["acc"],
        category_map=DISCIPLINES,
    )
)
class MMMUAdapter(ImagesInPrompt, BenchmarkAdapter):
    """Multiple-choice and open questions with their images; ``prompt_template`` is the open questions' prompt."""

    template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        kind = str(record["question_type"])
        if kind not in (MULTIPLE_CHOICE, OPEN):
            raise UserError(
                f"mmmu {subset} record {index} has question_type {kind!r}; expected {MULTIPLE_CHOICE!r} or {OPEN!r}"
            )
        root = Path(self.meta.local_path).expanduser() if self.meta.local_path else None
        base_dir = root if root is None or root.is_dir() else root.parent
        images = collect_images(record, location=f"mmmu/{subset}/{self.meta.eval_split}#{index}", base_dir=base_dir)
        metadata = {
            "images": images,
            "question_type": kind,
            **{key: record.get(key) for key in ("subfield", "img_type", "topic_difficulty")},
        }
        choices = _options(record["options"], subset, index) if kind == MULTIPLE_CHOICE else None
        return Sample(
            id=str(record.get("id") or f"{subset}-{index}"),
            input=str(record["question"]),
            choices=choices,
            target=str(record["answer"]).strip(),
            subset=subset,
            metadata=metadata,
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        return choice_or_open_prompt(self.meta, sample)


def _options(raw: Any, subset: str, index: int) -> list[str]:
    """The option texts of a multiple-choice record: a list, or its Python-literal text as the hub stores it."""
    value = raw
    if isinstance(raw, str):
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = None
    if not isinstance(value, (list, tuple)) or not value:
        raise UserError(f"mmmu {subset} record {index}: 'options' must be a non-empty list of options, got {raw!r}")
    return [str(option) for option in value]
