"""GPQA-Diamond: 198 expert-written graduate-level questions in biology, physics and chemistry.

As in EvalScope (``evalscope/benchmarks/gpqa/gpqa_adapter.py``): the ``train`` split (the only one)
of the diamond set, zero-shot, prompt ``MultipleChoiceTemplate.SINGLE_ANSWER_COT``. The options are
the three incorrect answers and the correct one (stripped; a missing one is ``" "``), shuffled by a
``random.Random`` seeded with the first 8 bytes of the SHA-256 of the stripped question, so every
question keeps the same option order in both tools. The reply's last ``ANSWER: X`` letter is scored
by exact match (``acc``).

``few_shot_num=5`` puts EvalScope's fixed five worked chain-of-thought examples (``gpqa/prompt.py``
``FEW_SHOT_SAMPLES``, shipped byte for byte in ``data/gpqa_diamond_5shot.txt``) after its
``FEW_SHOT_TEMPLATE`` header, before the question; extraction is unchanged.

Difference: EvalScope's Hugging Face id (``AI-ModelScope/gpqa_diamond``) exists only on ModelScope, so
the Hugging Face hub reads the ``gpqa_diamond`` configuration of the original ``Idavidrein/gpqa``
(gated: accept its terms first); ModelScope reads EvalScope's copy.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._commonsense_mcq_base import commonsense_meta
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.scoring.extract import choice_label
from assay.types import Sample

#: The original release keeps the diamond set as a configuration of its Hugging Face dataset.
_HF_DATASET, _HF_CONFIG = "Idavidrein/gpqa", "gpqa_diamond"
_INCORRECT = ("Incorrect Answer 1", "Incorrect Answer 2", "Incorrect Answer 3")
FIVE_SHOT_FILE = "gpqa_diamond_5shot.txt"


def shuffled_options(record: Mapping[str, Any]) -> tuple[list[str], str]:
    """The four options in EvalScope's per-question order, and the correct one's letter."""

    def clean(text: Any) -> str:
        return " " if text is None else str(text).strip()

    options = [clean(record[column]) for column in _INCORRECT] + [clean(record["Correct Answer"])]
    seed = int.from_bytes(hashlib.sha256(clean(record["Question"]).encode("utf-8")).digest()[:8], "big")
    random.Random(seed).shuffle(options)
    # index() finds the first equal option, as EvalScope does when an incorrect answer repeats the correct one
    return options, choice_label(options.index(clean(record["Correct Answer"])))


def hub_route(meta: BenchmarkMeta, subset: str, split: str) -> tuple[str | None, str]:
    """The official hub dataset names its configuration ``gpqa_diamond``; another id uses the subset."""
    return (_HF_CONFIG if meta.dataset_id == _HF_DATASET else subset), split


@register_benchmark(
    commonsense_meta(
        name="gpqa_diamond",
        pretty_name="GPQA-Diamond",
        description=(
            "GPQA (Graduate-Level Google-Proof Q&A) Diamond holds 198 four-option questions written and "
            "validated by domain experts in biology, physics and chemistry, hard enough that skilled "
            "non-experts with web access mostly fail. Asked zero-shot with a step-by-step instruction ending "
            "in 'ANSWER: <letter>' (options in a fixed per-question shuffle); scored by exact match."
        ),
        tags=["knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2311.12022",
        dataset_id=_HF_DATASET,
        modelscope_dataset_id="AI-ModelScope/gpqa_diamond",
        homepage="https://github.com/idavidrein/gpqa",
        license="CC-BY-4.0",  # hub card of Idavidrein/gpqa
        sample_counts={"default": 198},  # the diamond set (GPQA paper, arXiv 2311.12022)
        # The authors ask that questions not be posted in plain text, so the example is made up.
        example=BenchmarkExample(
            record={
                "Record ID": "rec1",
                "Question": "Which particle mediates the electromagnetic force?",
                "Correct Answer": "photon",
                "Incorrect Answer 1": "gluon",
                "Incorrect Answer 2": "W boson",
                "Incorrect Answer 3": "graviton",
            },
            source="illustrative record in the upstream schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout=(
            "the upstream CSV <dir>/gpqa_diamond.csv, or hub-style <dir>/train.jsonl|parquet (or "
            "<dir>/default/train.*) with Question, Correct Answer, Incorrect Answer 1-3"
        ),
        eval_split="train",
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
    )
)
class GPQADiamondAdapter(MultipleChoiceAdapter):
    """Options built from the answer columns and shuffled per question (EvalScope's order)."""

    # A fixed text, not records of a train split (GPQA's train split is the evaluated one).
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = (0, 5)
    few_shot_examples: ClassVar[str] = "EvalScope's fixed five worked examples"
    fixed_fewshot_file: ClassVar[str | None] = FIVE_SHOT_FILE

    data: ClassVar[DataSpec] = DataSpec(
        upstream=lambda root, subset, split: [LocalFile(root / "gpqa_diamond.csv")], hub_route=hub_route
    )

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices, target = shuffled_options(record)
        raw_id = record.get("Record ID")
        return Sample(
            id=str(raw_id) if raw_id not in (None, "") else f"{subset}-{index}",
            input=str(record["Question"]),
            choices=choices,
            target=target,
            subset=subset,
        )
