"""General-VQA: the user's own questions about images, scored against reference answers (BLEU / ROUGE).

Format as in EvalScope (``evalscope/benchmarks/general_vqa/general_vqa_adapter.py`` and its guide
``docs/en/advanced_guides/custom_dataset/vlm.md``): JSONL, TSV, CSV or parquet at
``<local_path>/<subset>.<ext>`` or ``<subset>_test.<ext>``, each record with ``messages`` (OpenAI chat
messages; a JSON string in TSV/CSV) and ``answer`` (the reference). Two ways to give images:

* OpenAI content parts: ``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}`` where the
  URL is a path (relative to the data file's folder, else to the working directory), an http(s)
  URL or a ``data:`` URL;
* placeholders: a user message whose content is a plain string with ``<image n>`` and columns
  ``image_1`` ... ``image_n`` (or an ``images`` list), as in MMMU. Only plain-string user messages
  are scanned, as EvalScope does.

Scored like general_qa: BLEU-1..4 and ROUGE-1/2/L, ROUGE-L recall being the headline. Audio and video
parts (EvalScope accepts them) are refused with a clear message: no backend here sends them yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision import IMAGE_PLACEHOLDER, collect_images, image_part, interleave
from assay.benchmarks.general_qa import HEADLINE_KEY, GeneralQAAdapter
from assay.errors import UserError
from assay.types import ChatMessage, ContentPart, Sample, TextPart

_ROLES = ("system", "user", "assistant")


@register_benchmark(
    BenchmarkMeta(
        name="general_vqa",
        pretty_name="General-VQA",
        description=(
            "General-VQA evaluates free-form answers to your own questions about images, from local files in "
            "EvalScope's format: OpenAI chat messages with image_url parts (paths, URLs or base64), or plain "
            "text with <image n> placeholders and image_1 ... image_n columns. Zero-shot; each answer is "
            "compared with its reference by BLEU-1..4 and ROUGE-1/2/L, ROUGE-L recall being the main score."
        ),
        tags=["qa", "custom", "multimodal"],
        version="1",
        dataset_id="general_vqa",
        license=None,  # your own data
        example=BenchmarkExample(
            record={
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "What animal is this?"},
                            {"type": "image_url", "image_url": {"url": "https://example.com/dog.jpg"}},
                        ],
                    }
                ],
                "answer": "Dog",
            },
            source="a record of EvalScope's custom_eval/multimodal/vqa/example_openai.jsonl (the image as a URL)",
        ),
        local_layout=(
            "<local_path>/<subset>.jsonl|tsv|csv|parquet or <subset>_test.<ext> with messages (OpenAI chat "
            "messages, image_url parts; or plain text with <image n> and image_1 ... image_n columns) and answer"
        ),
        subset_list=["default"],
        train_split=None,
        eval_split="test",
        few_shot_num=0,
        prompt_template="{question}",
        metric_list=["BLEU", "Rouge"],
        headline_metric=HEADLINE_KEY,
    )
)
class GeneralVQAAdapter(GeneralQAAdapter):
    """OpenAI messages with images (parts or placeholders) and a reference answer."""

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        if "messages" not in record:
            raise KeyError("messages")
        raw = record["messages"]
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise UserError(f"general_vqa {subset} record {index}: 'messages' is not valid JSON: {exc}") from None
        if not isinstance(raw, list) or not raw or not all(isinstance(m, Mapping) for m in raw):
            raise UserError(f"general_vqa {subset} record {index}: 'messages' must be a list of {{role, content}}")
        root = Path(self.meta.local_path).expanduser() if self.meta.local_path else None
        location = f"{subset}#{index}"
        placeholders = any(
            m.get("role") == "user" and isinstance(m.get("content"), str) and IMAGE_PLACEHOLDER.search(m["content"])
            for m in raw
        )
        images = collect_images(record, location=location, base_dir=root) if placeholders else {}
        messages = [_message(m, images, root, f"{location}/messages[{i}]") for i, m in enumerate(raw)]
        reference = record.get("answer")
        target = [str(r) for r in reference] if isinstance(reference, list) else str(reference or "")
        return Sample(id=f"{subset}-{index}", input=messages, target=target, subset=subset)


def _message(raw: Mapping[str, Any], images: Mapping[int, Any], root: Path | None, location: str) -> ChatMessage:
    role = raw.get("role")
    if role not in _ROLES:
        raise UserError(f"general_vqa {location}: message role {role!r} is not one of {', '.join(_ROLES)}")
    content = raw.get("content")
    if isinstance(content, str) or content is None:
        text = content or ""
        if role == "user" and images and IMAGE_PLACEHOLDER.search(text):
            return ChatMessage(role=role, content=interleave(text, images))
        return ChatMessage(role=role, content=text)
    if not isinstance(content, list):
        raise UserError(f"general_vqa {location}: 'content' must be text or a list of parts")
    return ChatMessage(role=role, content=[_part(p, root, f"{location}/content[{i}]") for i, p in enumerate(content)])


def _part(raw: Any, root: Path | None, location: str) -> ContentPart:
    kind = raw.get("type") if isinstance(raw, Mapping) else None
    if kind == "text":
        return TextPart(text=str(raw.get("text") or ""))
    if kind in ("image_url", "image"):
        value = raw.get("image_url") if kind == "image_url" else raw.get("image")
        url = value.get("url") if isinstance(value, Mapping) else value
        detail = value.get("detail") if isinstance(value, Mapping) else None
        if detail not in (None, "auto", "low", "high"):
            raise UserError(f"general_vqa {location}: image detail must be auto, low or high, got {detail!r}")
        return image_part(url, location=location, base_dir=root, detail=detail)
    if kind in ("input_audio", "video_url", "audio", "video"):
        raise UserError(f"general_vqa {location}: {kind} parts are not supported yet (images and text are)")
    raise UserError(f"general_vqa {location}: unknown content part {raw!r}; expected text or image_url")
