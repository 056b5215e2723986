"""MathVista: mathematical reasoning about pictures (plots, geometry, charts, puzzles, paper figures).

As in EvalScope 1.x (``evalscope/benchmarks/math_vista/math_vista_adapter.py``):

* **Data**: the ``testmini`` split (1,000 questions) of ``evalscope/MathVista`` on ModelScope, a copy
  of ``AI4Math/MathVista`` on the Hugging Face hub; zero-shot. No revision is pinned: neither
  EvalScope nor its docs name one.
* **Prompt**: a ``multi_choice`` question gets ``MultipleChoiceTemplate.SINGLE_ANSWER_COT`` over
  its ``choices`` (the gold is the letter of ``answer`` among them); a ``free_form`` one gets
  ``{question}`` + "Please reason step by step, and put your final answer within \\boxed{} without
  units." (``prompt_template``). The message is that text, then the ``decoded_image``.
* **Scoring** (``acc``, the ``qwen_math_equal`` scorer, EvalScope's ``{'acc': {'numeric': True}}``):
  for every question, multiple choice included, the answer is read by EvalScope's math
  ``extract_answer`` (``\\boxed{}``, then "the answer is", then ``ANSWER:``, else the last number)
  and compared with the gold by its ``math_equal``: texts, a lone choice letter, numbers within a
  relative 1e-4 (also x100 and /100), then SymPy. ``precision``, ``unit`` and ``answer_type`` are
  kept in the sample's metadata but, as in EvalScope, not used: a float answer is not rounded to
  ``precision`` decimals as MathVista's own scorer does, and units are asked to be left out.

Differences: a SymPy check that runs out of time excludes the item with a reason (EvalScope would
hang), and answer text naming Python objects is not handed to ``eval`` (see
:mod:`assay.scoring.scorers.qwen_math`). A multiple-choice ``answer`` that is not among its
``choices`` stays the gold text, as in EvalScope, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import assay.scoring.scorers.qwen_math  # noqa: F401 - registers the qwen_math_equal scorer named below
from assay.benchmarks._base import BenchmarkAdapter, DataSpec
from assay.benchmarks._mcq import choice_or_open_prompt
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision import image_part
from assay.benchmarks._vision_mcq_base import ImageAfterText, hub_data_shards
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import ImagePart, Sample

logger = logging.getLogger(__name__)

#: EvalScope's ``OPEN_PROMPT`` for free-form questions.
OPEN_PROMPT = "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}} without units."

MULTIPLE_CHOICE = "multi_choice"
FREE_FORM = "free_form"


@register_benchmark(
    BenchmarkMeta(
        name="math_vista",
        pretty_name="MathVista",
        description=(
            "MathVista measures mathematical reasoning in visual contexts: questions about function plots, "
            "geometry diagrams, charts, tables, puzzles and scientific figures, gathered from 28 existing datasets "
            "and 3 new ones (IQTest, FunctionQA, PaperQA). The 1,000 testmini questions are asked zero-shot with "
            "their image, multiple-choice ones asking for 'ANSWER: <letter>' and free-form ones for a \\boxed{} "
            "answer without units; the answer is extracted with EvalScope's math parser and compared with the "
            "reference by numeric (relative 1e-4) or symbolic equality."
        ),
        tags=["multimodal", "math", "reasoning", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2310.02255",
        version="1",
        dataset_id="AI4Math/MathVista",
        modelscope_dataset_id="evalscope/MathVista",
        homepage="https://mathvista.github.io/",
        license="CC-BY-SA-4.0",  # the AI4Math/MathVista dataset card
        sample_counts={"default": 1000},  # testmini (EvalScope's _meta/math_vista.json)
        example=BenchmarkExample(
            record={
                "pid": "illustrative-1",
                "question": "Move the ruler to measure the length of the nail to the nearest inch. "
                "The nail is about (_) inches long.",
                "image": "images/illustrative-1.jpg",
                "decoded_image": {"bytes": None, "path": "https://example.com/mathvista/nail.png"},
                "choices": None,
                "unit": None,
                "precision": None,
                "answer": "2",
                "question_type": "free_form",
                "answer_type": "integer",
                "metadata": {
                    "category": "math-targeted-vqa",
                    "context": "abstract scene",
                    "grade": "elementary school",
                    "language": "english",
                    "skills": ["numeric commonsense"],
                    "source": "IconQA",
                    "split": "testmini",
                    "task": "figure question answering",
                },
            },
            source="illustrative record in the hub schema (AI4Math/MathVista parquet), not from the dataset; its "
            "decoded_image holds an example.com URL instead of image bytes",
        ),
        local_layout=(
            "a Hugging Face snapshot of AI4Math/MathVista: <dir>/data/testmini-00000-of-00001-<hash>.parquet (or "
            "<dir>/testmini.parquet|jsonl) with pid, question, choices, answer, question_type, answer_type, "
            "precision, unit, metadata and decoded_image ({'bytes', 'path'}; else image, a path relative to <dir>)"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="testmini",
        few_shot_num=0,
        prompt_template=OPEN_PROMPT,
        scorers={"acc": "qwen_math_equal"},
        metric_list=["acc"],
    )
)
class MathVistaAdapter(ImageAfterText, BenchmarkAdapter):
    """Multiple-choice and free-form questions, each with one image sent after its text (EvalScope's order)."""

    # A snapshot of AI4Math/MathVista keeps its split as data/<split>-NNNNN-of-NNNNN-<hash>.parquet.
    data: ClassVar[DataSpec] = DataSpec(upstream=hub_data_shards)
    template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        kind = str(record["question_type"])
        record_id = str(record.get("pid") or f"{subset}-{index}")
        answer = str(record["answer"])
        choices: list[str] | None = None
        target = answer
        if kind == MULTIPLE_CHOICE:
            choices = [str(choice) for choice in record["choices"] or []]
            if answer in choices:
                target = choice_label(choices.index(answer))
            else:
                logger.warning("math_vista %s: answer %r is not among its choices %s", record_id, answer, choices)
        elif kind != FREE_FORM:
            raise UserError(
                f"math_vista record {record_id} has question_type {kind!r}; "
                f"expected {MULTIPLE_CHOICE!r} or {FREE_FORM!r}"
            )
        extra = record.get("metadata")
        return Sample(
            id=record_id,
            input=str(record["question"]),
            choices=choices,
            target=target,
            subset=subset,
            metadata={
                "question_type": kind,
                **{key: record.get(key) for key in ("answer_type", "precision", "unit")},
                **(dict(extra) if isinstance(extra, Mapping) else {}),  # category, source, skills ... as EvalScope
                "images": {1: self._image(record, subset, index)},
            },
        )

    def _image(self, record: Mapping[str, Any], subset: str, index: int) -> ImagePart:
        """The ``decoded_image`` cell, else the ``image`` path relative to the local copy."""
        location = f"math_vista/{subset}/{self.meta.eval_split}#{index}"
        root = Path(self.meta.local_path).expanduser() if self.meta.local_path else None
        base_dir = root if root is None or root.is_dir() else root.parent
        if record.get("decoded_image"):
            return image_part(record["decoded_image"], location=f"{location}/decoded_image", base_dir=base_dir)
        if record.get("image"):
            return image_part(record["image"], location=f"{location}/image", base_dir=base_dir)
        raise UserError(f"{location}: the record has no decoded_image and no image path")

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        return choice_or_open_prompt(self.meta, sample)
