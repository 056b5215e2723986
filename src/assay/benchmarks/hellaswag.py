"""HellaSwag: commonsense sentence completion, four endings, EvalScope's zero-shot MCQ prompt.

As in EvalScope (``evalscope/benchmarks/hellaswag/hellaswag_adapter.py``):

* **Prompt**: ``SINGLE_ANSWER_TEMPLATE`` with the context as the question and the four endings as
  options. The context is ``ctx_a + " " + ctx_b.capitalize()``; context and endings are cleaned like
  EvalScope (strip, `` [title]`` -> ``. ``, ``[...]`` tags removed, double spaces collapsed).
* **Few-shot**: none (no train split).
* **Extraction**: the letter after ``ANSWER:`` (EvalScope's parser, via ``extract_choice``).
* **Metric**: ``acc`` (exact letter match) on the 10,042 validation items.

Data: the hub schema (``ctx_a``, ``ctx_b``, ``endings``, ``label``, ``activity_label``) or the
llama.cpp text layout ``hellaswag_val_full.txt[.bz2]``: 6 lines per item (``activity_label: ctx``,
the label, the four endings). Deliberate difference: that layout holds the joined ``ctx`` only, so
``ctx_b`` cannot be capitalised there; the context is used as written (lower-case after the split
point where EvalScope would capitalise it). Hub and HF-jsonl data give EvalScope's prompt exactly.
"""

from __future__ import annotations

import bz2
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, read_local_file
from assay.benchmarks._mcq import (
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    SINGLE_ANSWER_TEMPLATE,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

#: llama.cpp text layout file names (as committed, and decompressed).
TEXT_LAYOUT_FILES = ("hellaswag_val_full.txt.bz2", "hellaswag_val_full.txt")
_LINES_PER_ITEM = 6
_LETTERS = "ABCD"


def clean_text(text: str) -> str:
    """EvalScope's ``_preprocess``: strip, ``' [title]'`` -> ``'. '``, drop ``[...]``, one double space."""
    text = text.strip().replace(" [title]", ". ")
    text = re.sub(r"\[.*?\]", "", text)
    return text.replace("  ", " ")


def read_text_layout(path: Path) -> list[dict[str, Any]]:
    """Records (``ctx``, ``activity_label``, ``label``, ``endings``) from the 6-lines-per-item layout."""
    opener = bz2.open if path.suffix == ".bz2" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) % _LINES_PER_ITEM:
        raise UserError(f"{path} has {len(lines)} lines; the HellaSwag text layout has 6 per item")
    records = []
    for start in range(0, len(lines), _LINES_PER_ITEM):
        head, label, *endings = lines[start : start + _LINES_PER_ITEM]
        activity, _, ctx = head.partition(": ")
        records.append({"activity_label": activity, "ctx": ctx, "label": label, "endings": endings})
    return records


def text_layout_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The llama.cpp text layout holds the validation split."""
    return [LocalFile(root / name) for name in TEXT_LAYOUT_FILES] if split == "validation" else []


def read_hellaswag_file(found: LocalFile) -> list[dict[str, Any]]:
    """The text layout by its own reader, anything else by the shared readers."""
    if found.path.name in TEXT_LAYOUT_FILES:
        return read_text_layout(found.path)
    return read_local_file(found)


@register_benchmark(
    BenchmarkMeta(
        name="hellaswag",
        pretty_name="HellaSwag",
        description=(
            "HellaSwag tests commonsense inference about everyday situations: given the start of a "
            "description (from ActivityNet captions or WikiHow), pick the most plausible of four endings, "
            "three of which were adversarially filtered to fool language models. Zero-shot on the 10,042 "
            "validation items; the model answers 'ANSWER: <letter>' and is scored by exact match."
        ),
        tags=["commonsense", "multiple-choice", "knowledge"],
        paper_url="https://arxiv.org/abs/1905.07830",
        version="1",
        dataset_id="Rowan/hellaswag",
        homepage="https://rowanzellers.com/hellaswag/",
        license="MIT",  # rowanz/hellaswag LICENSE (shared/data/hellaswag/SOURCE.md)
        sample_counts={"default": 10042},  # validation items (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "activity_label": "Roof shingle removal",
                "ctx": "A man is sitting on a roof. he",
                "label": "3",
                "endings": [
                    "is using wrap to wrap a pair of skis.",
                    "is ripping level tiles off.",
                    "is holding a rubik's cube.",
                    "starts pulling up roofing on a roof.",
                ],
            },
            source="first item of hellaswag_val_full.txt.bz2 (llama.cpp text layout of the validation set)",
        ),
        local_layout=(
            "the llama.cpp text layout <dir>/hellaswag_val_full.txt.bz2 (or .txt; 6 lines per item), or "
            "hub-style <dir>/validation.jsonl|parquet with ctx_a, ctx_b, endings, label"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        train_split=None,
        eval_split="validation",
        few_shot_num=0,
        prompt_template=SINGLE_ANSWER_TEMPLATE,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
    )
)
class HellaSwagAdapter(MultipleChoiceAdapter):
    """Reads the hub schema and the llama.cpp text layout."""

    data: ClassVar[DataSpec] = DataSpec(upstream=text_layout_files, reader=read_hellaswag_file)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        # The text layout has only the joined ctx (see the module docstring).
        has_parts = "ctx_a" in record
        context = f"{record['ctx_a']} {str(record['ctx_b']).capitalize()}" if has_parts else str(record["ctx"])
        label = str(record["label"]).strip()
        if label not in ("0", "1", "2", "3"):
            raise UserError(f"HellaSwag record {index} has label {label!r}; expected 0-3")
        return Sample(
            id=str(index),
            input=clean_text(context),
            choices=[clean_text(str(e)) for e in record["endings"]],
            target=_LETTERS[int(label)],
            subset=subset,
            metadata={"activity_label": record.get("activity_label", "unknown")},
        )
