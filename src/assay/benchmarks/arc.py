"""ARC (AI2 Reasoning Challenge): grade 3-9 science multiple choice, Easy and Challenge sets.

Prompt and parsing are EvalScope's MCQ ones (``evalscope/benchmarks/arc/arc_adapter.py`` uses
``MultipleChoiceTemplate.SINGLE_ANSWER``). Some questions label their options ``1``-``4``; they are
shown as ``A``-``D`` and the answer key is mapped the same way, as EvalScope does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._mcq import (
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    SINGLE_ANSWER_TEMPLATE,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample

#: Split names of the upstream release files (``ARC-Easy-Dev.jsonl``) by hub split name.
_UPSTREAM_SPLITS = {"train": "Train", "validation": "Dev", "dev": "Dev", "test": "Test"}


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The ARC-V1-Feb2018 release: ``<subset>/<subset>-<Split>.jsonl`` (or without the folder)."""
    name = f"{subset}-{_UPSTREAM_SPLITS.get(split, split)}.jsonl"
    return [LocalFile(root / subset / name), LocalFile(root / name)]


@register_benchmark(
    BenchmarkMeta(
        name="arc",
        pretty_name="ARC",
        description=(
            "ARC (AI2 Reasoning Challenge) tests grade-school science knowledge and reasoning with "
            "multiple-choice questions of 3 to 5 options, split into ARC-Easy (2,376 test questions, "
            "answerable by retrieval or word association) and ARC-Challenge (1,172, which defeat such "
            "methods). Zero-shot by default: the model answers with 'ANSWER: <letter>' and is scored by "
            "exact match of the extracted letter."
        ),
        tags=["reasoning", "multiple-choice"],
        paper_url="https://arxiv.org/abs/1803.05457",
        version="1",
        dataset_id="allenai/ai2_arc",
        dataset_revision="210d026faf9955653af8916fad021475a3f00453",
        homepage="https://allenai.org/data/arc",
        license="CC-BY-SA-4.0",  # AI2 ARC licence (shared/data/arc/SOURCE.md)
        sample_counts={"ARC-Easy": 2376, "ARC-Challenge": 1172},  # test files (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "id": "Mercury_7175875",
                "question": {
                    "stem": "An astronomer observes that a planet rotates faster after a meteorite impact. Which is "
                    "the most likely effect of this increase in rotation?",
                    "choices": [
                        {"text": "Planetary density will decrease.", "label": "A"},
                        {"text": "Planetary years will become longer.", "label": "B"},
                        {"text": "Planetary days will become shorter.", "label": "C"},
                        {"text": "Planetary gravity will become stronger.", "label": "D"},
                    ],
                },
                "answerKey": "C",
            },
            subset="ARC-Challenge",
            source="first record of ARC-Challenge-Test.jsonl (ARC-V1-Feb2018)",
        ),
        local_layout=(
            "the upstream release <dir>/ARC-Challenge/ARC-Challenge-Test.jsonl (and -Dev, -Train; same for "
            "ARC-Easy), or hub-style <dir>/ARC-Challenge/test.jsonl|parquet"
        ),
        available_subsets=["ARC-Easy", "ARC-Challenge"],
        subset_list=["ARC-Easy", "ARC-Challenge"],
        train_split="train",
        eval_split="test",
        few_shot_num=0,
        prompt_template=SINGLE_ANSWER_TEMPLATE,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
    )
)
class ARCAdapter(MultipleChoiceAdapter):
    """Reads both the upstream schema (``question.stem``/``question.choices``) and the hub's."""

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        question = record["question"]
        if isinstance(question, Mapping):  # upstream: {"stem": ..., "choices": [{"text", "label"}]}
            texts = [str(c["text"]) for c in question["choices"]]
            labels = [str(c["label"]) for c in question["choices"]]
            question = question["stem"]
        else:  # hub: "choices": {"text": [...], "label": [...]}
            texts = [str(t) for t in record["choices"]["text"]]
            labels = [str(label) for label in record["choices"]["label"]]
        key = str(record["answerKey"]).strip()
        if key in labels:
            target = choice_label(labels.index(key))
        elif key.isdigit():
            target = choice_label(int(key) - 1)
        else:
            raise UserError(f"ARC record {record.get('id', index)!r} has answerKey {key!r} not among labels {labels}")
        return Sample(
            id=str(record.get("id") or f"{subset}-{index}"),
            input=str(question),
            choices=texts,
            target=target,
            subset=subset,
        )
