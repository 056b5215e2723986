"""What the single-image benchmarks EvalScope reads from Hugging Face parquet share (AI2D, MMBench,
MMStar, RealWorldQA): the snapshot's ``data/`` shards, the record's one ``image`` cell, empty cells
written as ``"nan"``, and the order EvalScope sends text and image in.

Each of these EvalScope adapters builds its user message as ``[ContentText(prompt), ContentImage(image)]``:
the filled-in prompt first, then the picture (no ``<image n>`` placeholder). :class:`ImageAfterText`
keeps that order, so the model sees the same message; :class:`~assay.benchmarks._vision.ImagesInPrompt`
would put a placeholder-free image first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.benchmarks._base import LocalFile
from assay.benchmarks._vision import image_part
from assay.errors import UserError
from assay.types import ContentPart, ImagePart, Sample, TextPart

__all__ = ["ImageAfterText", "hub_data_shards", "is_blank", "record_image"]


def hub_data_shards(root: Path, subset: str, split: str) -> list[LocalFile]:
    """``<root>/data/<split>-NNNNN-of-MMMMM.parquet``: a Hugging Face snapshot of a one-configuration dataset.

    The first shard stands for the split (the reader takes the others); when there is none, the
    single-shard name is returned so that a "not found" message names the layout.
    """
    shards = sorted((root / "data").glob(f"{split}-*.parquet")) if (root / "data").is_dir() else []
    return [LocalFile(shards[0] if shards else root / "data" / f"{split}-00000-of-00001.parquet")]


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing: None, a float NaN, blank text, or the text ``"nan"``.

    The lmms-lab copies were made from pandas frames, so an empty option or hint is the string
    ``"nan"`` there (EvalScope drops MMBench options equal to ``"nan"`` for that reason).

    Example:
        >>> [is_blank(v) for v in (None, float("nan"), " ", "nan", "0", "Nan bread")]
        [True, True, True, True, False, False]
    """
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    text = str(value).strip()
    return not text or text == "nan"


def record_image(record: Mapping[str, Any], *, benchmark: str, subset: str, split: str, index: int) -> ImagePart:
    """The record's ``image`` cell as a part (bytes spooled to disk), located as ``<subset>/<split>#<index>/image``.

    The location names the record, not the file, so a local copy and the hub give the same prompt
    fingerprint.

    Raises:
        UserError: The record has no image. EvalScope would send the question alone; every record of
            these benchmarks has a picture, so a missing one is a broken copy and is named instead.
    """
    value = record.get("image")
    if value is None or value == "" or (isinstance(value, Mapping) and not (value.get("bytes") or value.get("path"))):
        raise UserError(f"{benchmark} {subset}/{split} record {index} has no image (column 'image' is empty)")
    return image_part(value, location=f"{subset}/{split}#{index}/image")


class ImageAfterText:
    """Adapter mixin: the filled-in prompt, then the sample's images (``metadata["images"]``, number -> part).

    Put it first in the bases (``class AI2D(ImageAfterText, MultipleChoiceAdapter)``).
    """

    def user_content(self, sample: Sample, prompt: str) -> str | list[ContentPart]:
        images: Mapping[int, ImagePart] = sample.metadata.get("images") or {}
        if not images:
            return prompt
        return [TextPart(text=prompt), *(images[number] for number in sorted(images))]
