"""Shared by ``chartqa``, ``docvqa``, ``infovqa`` and ``ocr_bench``: one image and a question per record.

These four EvalScope benchmarks read a Hugging Face parquet export whose ``image`` column is an
``Image`` feature (``{"bytes", "path"}`` cells), ask a zero-shot question about it and score the
free-text reply. What they share lives here:

* :class:`OneImageAdapter` takes the record's image (spooled to the content-addressed cache by
  :func:`~assay.benchmarks._vision.collect_images`, so a run holds no image in memory) and places
  it in the user message in EvalScope's order: after the text for ChartQA, DocVQA and InfoVQA,
  before it for OCRBench (``image_first``). A user ``prompt_template`` with ``<image 1>`` puts it
  where the placeholder is.
* :func:`snapshot_shards` finds a one-configuration snapshot's ``data/<split>-*.parquet`` shards
  (``lmms-lab/ChartQA``, ``echo840/OCRBench``); multi-configuration snapshots
  (``lmms-lab/DocVQA/<config>/<split>-*.parquet``) are found by the shared hub-style layout.
* :func:`docvqa_meta` and :class:`AnlsAdapter` are DocVQA and InfoVQA (two configurations of one
  hub dataset): EvalScope's prompt, the ``questionId`` as the sample id, every gold answer kept,
  scored by ``anls`` (:mod:`assay.scoring.scorers.vqa`), whose threshold EvalScope's
  ``metric_list: [{"anls": {"thresh_hold": 0.5}}]`` sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import LocalFile
from assay.benchmarks._meta import BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._vision import IMAGE_PLACEHOLDER, collect_images, interleave
from assay.errors import UserError
from assay.scoring.scorers.vqa import ANLS_THRESHOLD
from assay.types import ContentPart, ImagePart, Sample, TextPart

#: EvalScope's DocVQA and InfoVQA prompt (``evalscope/benchmarks/docvqa/docvqa_adapter.py``).
SHORT_ANSWER_PROMPT = (
    "Answer the question according to the image using a single word or phrase.\n"
    "{question}\n"
    'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where '
    "[ANSWER] is the answer to the question."
)


def docvqa_meta(config: str, **fields: Any) -> BenchmarkMeta:
    """The meta of one configuration of ``lmms-lab/DocVQA`` (``DocVQA`` or ``InfographicVQA``).

    Shared as EvalScope has it: the configuration is the one subset, the ``validation`` split (the
    test split's answers are not public), zero-shot, :data:`SHORT_ANSWER_PROMPT`, metric ``anls``.
    ``fields`` add the rest (name, description, counts, example ...).
    """
    defaults: dict[str, Any] = {
        "version": "1",
        "tags": ["multimodal", "knowledge", "qa", "document", "ocr"],
        "dataset_id": "lmms-lab/DocVQA",
        "available_subsets": [config],
        "subset_list": [config],
        "eval_split": "validation",
        "few_shot_num": 0,
        "prompt_template": SHORT_ANSWER_PROMPT,
        "scorers": {"anls": "anls"},
        "metric_list": ["anls"],
    }
    return BenchmarkMeta(**{**defaults, **fields})


def snapshot_shards(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The first ``<root>/data/<split>-NNNNN-of-MMMMM.parquet`` shard of a snapshot (the rest are read with it)."""
    folder = root / "data"
    shards = sorted(folder.glob(f"{split}-*.parquet")) if folder.is_dir() else []
    return [LocalFile(shards[0])] if shards else []


class OneImageAdapter(QuestionAnswerAdapter):
    """A question about one picture, asked zero-shot; subclasses map the record's columns."""

    #: Whether the image comes before the prompt text (OCRBench) or after it (the others).
    image_first: ClassVar[bool] = False

    def images_of(self, record: Mapping[str, Any], *, subset: str, index: int) -> dict[int, ImagePart]:
        """The record's image as image 1 (``image`` column; ``image_1`` ... or ``images`` too).

        Raises:
            UserError: The record carries no image: a question about a picture cannot be asked without it.
        """
        root = Path(self.meta.local_path).expanduser() if self.meta.local_path else None
        base_dir = root if root is None or root.is_dir() else root.parent
        images = collect_images(record, location=f"{subset}#{index}", base_dir=base_dir)
        if not images:
            raise UserError(
                f"{self.meta.name} {subset} record {index} has no image (its 'image' cell is empty); "
                f"expected {self.meta.local_layout}"
            )
        return images

    def user_content(self, sample: Sample, prompt: str) -> str | list[ContentPart]:
        images: Mapping[int, ImagePart] = sample.metadata.get("images") or {}
        if not images:
            return prompt
        if IMAGE_PLACEHOLDER.search(prompt):
            return interleave(prompt, images)
        ordered: list[ContentPart] = [images[number] for number in sorted(images)]
        text = TextPart(text=prompt)
        return [*ordered, text] if self.image_first else [text, *ordered]


class AnlsAdapter(OneImageAdapter):
    """DocVQA-style records: ``questionId``, ``question``, ``answers`` (a list) and ``image``."""

    #: Columns copied into the sample's metadata (as EvalScope records them; large OCR text is left out).
    metadata_columns: ClassVar[tuple[str, ...]] = ()

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answers = record["answers"]
        if isinstance(answers, str):
            answers = [answers]
        return Sample(
            id=str(record.get("questionId", f"{subset}-{index}")),
            input=str(record["question"]),
            target=[str(answer) for answer in answers or []],
            subset=subset,
            metadata={
                "images": self.images_of(record, subset=subset, index=index),
                **{column: record.get(column) for column in self.metadata_columns},
            },
        )

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        """The ANLS threshold from ``metric_list: [{"anls": {"thresh_hold": t}}]`` (EvalScope's spelling)."""
        options = dict(self.meta.metric_args.get("anls", {}))
        threshold = options.pop("thresh_hold", options.pop("threshold", ANLS_THRESHOLD))
        if options:
            raise UserError(f"{self.meta.name}: the anls metric takes only thresh_hold, got {sorted(options)}")
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise UserError(f"{self.meta.name}: anls thresh_hold must be a number in [0, 1], got {threshold!r}")
        return {"anls": {"threshold": float(threshold)}}
