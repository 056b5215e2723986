"""General-VMCQ: the user's own multiple-choice questions about images, in EvalScope's MMMU-like format.

Format as in EvalScope (``evalscope/benchmarks/general_vmcq/general_vmcq_adapter.py`` and its
custom-dataset guide ``docs/en/advanced_guides/custom_dataset/vlm.md``): JSONL, TSV, CSV or parquet
at ``<local_path>/<subset>_val.<ext>`` or ``<subset>.<ext>`` (``<subset>_dev.<ext>`` for few-shot),
one record per question with

* ``question``: text with ``<image n>`` placeholders where images go;
* ``options``: a list of option texts (a JSON or Python-literal list string in TSV/CSV), which may
  themselves be placeholders (``"<image 2>"``), without ``A.`` prefixes;
* ``image_1`` ... ``image_100`` (or an ``images`` list): a path (relative to the data file's folder,
  else to the working directory), an http(s) URL, a ``data:`` URL or base64, or a Hugging Face
  ``Image`` cell (``{"bytes", "path"}``) in parquet;
* ``answer``: the correct letter.

The prompt is EvalScope's ``MultipleChoiceTemplate.SINGLE_ANSWER_COT``; the letter after
``ANSWER:`` is scored by exact match (``acc``). Images go where their placeholders are, in the
question or in the options. Unlike EvalScope, an answer letter outside the options or an image file
that does not exist stops the run with the record named, instead of scoring 0 or failing mid-run.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision import ImagesInPrompt, collect_images
from assay.errors import UserError
from assay.types import Sample

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@register_benchmark(
    BenchmarkMeta(
        name="general_vmcq",
        pretty_name="General-VMCQ",
        description=(
            "General-VMCQ evaluates your own multiple-choice questions about images, in EvalScope's MMMU-like "
            "format: a question with <image n> placeholders, a list of options (text or images), image_1 ... "
            "image_n columns (paths, URLs, base64 or parquet image cells) and a letter answer. Zero-shot with "
            "EvalScope's chain-of-thought single-answer prompt; scored by exact match of the extracted letter."
        ),
        tags=["multiple-choice", "custom", "multimodal"],
        version="1",
        dataset_id="general_vmcq",
        license=None,  # your own data
        example=BenchmarkExample(
            record={
                "question": "<image 1> What building is this?",
                "options": ["School", "Hospital", "Park", "Museum"],
                "image_1": "https://example.com/AMNH.jpg",
                "answer": "D",
            },
            source="a record of EvalScope's custom_eval/multimodal/mcq/example.jsonl (the image as a URL)",
        ),
        local_layout=(
            "<local_path>/<subset>_val.jsonl|tsv|csv|parquet or <subset>.<ext> (evaluated), <subset>_dev.<ext> "
            "(few-shot); question (with <image n> placeholders), options (list), image_1 ... image_n or images, "
            "answer (a letter)"
        ),
        subset_list=["default"],
        train_split="dev",
        eval_split="val",
        few_shot_num=0,
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
    )
)
class GeneralVMCQAdapter(ImagesInPrompt, MultipleChoiceAdapter):
    """Question, options list, image columns and a letter answer; ids from the file row."""

    data: ClassVar[DataSpec] = DataSpec(local_only=True)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        options = _options(record["options"], subset, index)
        answer = str(record["answer"]).strip().upper()
        if answer not in _LETTERS[: len(options)]:
            raise UserError(
                f"general_vmcq {subset} record {index} has answer {record['answer']!r}, not among its options "
                f"{', '.join(_LETTERS[: len(options)])}"
            )
        root = Path(self.meta.local_path).expanduser() if self.meta.local_path else None
        images = collect_images(record, location=f"{subset}#{index}", base_dir=root)
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            choices=options,
            target=answer,
            subset=subset,
            metadata={"images": images},
        )


def _options(raw: Any, subset: str, index: int) -> list[str]:
    """The option texts: a list, or a JSON / Python-literal list in a text cell (TSV and CSV files)."""
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                value = None
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise UserError(
            f"general_vmcq {subset} record {index}: 'options' must be a list of at least 2 option texts, got {raw!r}"
        )
    if len(value) > len(_LETTERS):
        raise UserError(f"general_vmcq {subset} record {index} has {len(value)} options; at most 26 are supported")
    return [str(option) for option in value]
