"""``toy_vmcq``: a general_vmcq-style benchmark (question, options A-D and an image file per record)
with pictures drawn by PIL, shared by the tests that need images to travel through a real run."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from assay.benchmarks import BenchmarkMeta, MultipleChoiceAdapter, register_benchmark
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE
from assay.types import ContentPart, ImagePart, Sample, TextPart
from tests.benchmarks.helpers import write_jsonl


@register_benchmark(
    BenchmarkMeta(
        name="toy_vmcq",
        pretty_name="Toy VMCQ",
        description="Multiple choice about a picture (general_vmcq's record shape).",
        version="1",
        dataset_id="toy/vmcq",
        local_layout="<dir>/<subset>.jsonl with question, A-D, answer, image (a path relative to the file)",
        subset_list=["default"],
        eval_split="test",
        prompt_template=SINGLE_ANSWER_TEMPLATE,
        metric_list=["acc"],
    )
)
class ToyVMCQ(MultipleChoiceAdapter):
    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        root = Path(self.meta.local_path or ".")
        return Sample(
            id=str(record["id"]),
            input=str(record["question"]),
            choices=[str(record[letter]) for letter in "ABCD"],
            target=str(record["answer"]),
            subset=subset,
            metadata={"image": str(root / record["image"])},
        )

    def user_content(self, sample: Sample, prompt: str) -> list[ContentPart]:
        # The question's text and its picture travel in one user message.
        return [TextPart(text=prompt), ImagePart(source=sample.metadata["image"], detail="low")]


def png(color: str, digit: str, size: int = 64, fmt: str = "PNG") -> bytes:
    """A ``size``-pixel square of ``color`` with ``digit`` drawn in white, encoded as ``fmt``."""
    image = Image.new("RGB", (size, size), color)
    font = ImageFont.load_default(size=size // 2)
    ImageDraw.Draw(image).text((size // 2, size // 2), digit, fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def vmcq_data(root: Path, size: int = 64, fmt: str = "PNG") -> dict[str, str]:
    """Two records, each with its own generated picture; returns the SHA-256 of each image by id."""
    hashes = {}
    rows = []
    for record_id, color, digit, answer in [("red-7", "red", "7", "A"), ("blue-3", "blue", "3", "C")]:
        data = png(color, digit, size, fmt)
        extension = ".jpg" if fmt == "JPEG" else f".{fmt.lower()}"
        (root / "images").mkdir(parents=True, exist_ok=True)
        (root / "images" / f"{record_id}{extension}").write_bytes(data)
        hashes[record_id] = hashlib.sha256(data).hexdigest()
        rows.append(
            {
                "id": record_id,
                "question": f"Which digit is drawn on the {color} square?",
                "A": "7",
                "B": "5",
                "C": "3",
                "D": "1",
                "answer": answer,
                "image": f"images/{record_id}{extension}",
            }
        )
    write_jsonl(root / "default.jsonl", rows)
    return hashes
