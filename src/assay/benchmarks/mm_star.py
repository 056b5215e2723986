"""MMStar: 1,500 multiple-choice questions that cannot be answered without their image, in six categories.

As in EvalScope (``evalscope/benchmarks/mm_star/mm_star_adapter.py``): the ``val`` split of the
``val`` configuration (EvalScope's ``default_subset``) of ``evalscope/MMStar`` on ModelScope, which
mirrors ``Lin-Chen/MMStar`` on the Hugging Face hub (our default; its card declares the same
configuration over ``mmstar.parquet``). The six subsets are the values of the ``category`` column
(250 questions each), read from the one file. The options are already inside the ``question`` text
(``Options: A: ..., B: ...``), so the prompt is EvalScope's own MMStar template with ``{question}``
only, the letters fixed to ``A,B,C,D`` whatever the question offers; the image is sent after the
prompt text, and the letter after the reply's last ``ANSWER:`` (one of A-D) is scored by exact
match (``acc``), per category. ``l2_category`` and the ``meta_info`` source stay in each sample's
metadata. No dataset revision is pinned: EvalScope pins none and names no commit.

Differences, on purpose: ``shuffle_choices`` is refused (the options are text inside the question,
so shuffling the letters would only move the gold letter away from its option; EvalScope shuffles
them anyway), a gold answer outside A-D or a record without an image stops the run with the record
named, and the image goes with its real media type (EvalScope labels every one ``image/jpeg``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, format_template
from assay.benchmarks._mcq import MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision_mcq_base import ImageAfterText, record_image
from assay.errors import UserError
from assay.types import Sample

#: EvalScope's MMStar prompt (``MULT_CHOICE_PROMPT`` of its adapter), byte for byte.
MMSTAR_TEMPLATE = (
    "Answer the following multiple choice question.\n"
    "The last line of your response should be of the following format:\n"
    "'ANSWER: [LETTER]' (without quotes)\n"
    "where [LETTER] is one of A,B,C,D. Think step by step before answering.\n\n"
    "{question}"
)

#: The categories, in EvalScope's order.
CATEGORIES = [
    "coarse perception",
    "fine-grained perception",
    "instance reasoning",
    "logical reasoning",
    "math",
    "science & technology",
]

_LETTERS = ["A", "B", "C", "D"]


def upstream_file(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The hub repository's single ``mmstar.parquet`` (every category of the ``val`` split)."""
    return [LocalFile(root / "mmstar.parquet")] if split == "val" else []


@register_benchmark(
    BenchmarkMeta(
        name="mm_star",
        pretty_name="MMStar",
        description=(
            "MMStar holds 1,500 multiple-choice questions about images, chosen by humans so that none can be "
            "answered from the text alone, in six categories (coarse and fine-grained perception, instance and "
            "logical reasoning, math, science & technology). Each question, its options written in the text, is "
            "sent zero-shot with its image and a step-by-step instruction ending in 'ANSWER: <letter>'; the "
            "extracted letter is scored by exact match, per category."
        ),
        tags=["knowledge", "reasoning", "multiple-choice", "multimodal"],
        paper_url="https://arxiv.org/abs/2403.20330",
        version="1",
        dataset_id="Lin-Chen/MMStar",
        modelscope_dataset_id="evalscope/MMStar",
        homepage="https://mmstar-benchmark.github.io/",
        license=None,  # the Lin-Chen/MMStar card states none; see the project page
        sample_counts=dict.fromkeys(CATEGORIES, 250),  # val split (EvalScope's _meta/mm_star.json statistics)
        example=BenchmarkExample(
            record={
                "index": 0,
                "question": "Which option describe the object relationship in the image correctly?\nOptions: A: The "
                "suitcase is on the book., B: The suitcase is beneath the cat., C: The suitcase is beneath the bed., "
                "D: The suitcase is beneath the book.",
                "answer": "A",
                "category": "coarse perception",
                "l2_category": "image scene and topic",
                "meta_info": {"source": "MMBench", "split": "val", "image_path": "images/0.jpg"},
                "image": {"bytes": None, "path": "https://example.com/mmstar-0.jpg"},
            },
            subset="coarse perception",
            source="val record 0 as EvalScope's _meta/mm_star.json shows it (the JPEG bytes replaced by a URL)",
        ),
        local_layout=(
            "the hub repository's <dir>/mmstar.parquet, or <dir>/val/val.parquet, with index, question (options "
            "inside), answer (a letter), category (the subset), l2_category, meta_info and image ({bytes, path} cells)"
        ),
        available_subsets=list(CATEGORIES),
        subset_list=list(CATEGORIES),
        eval_split="val",
        prompt_template=MMSTAR_TEMPLATE,
        metric_list=["acc"],
    )
)
class MMStarAdapter(ImageAfterText, MultipleChoiceAdapter):
    """Question text with its options inside, a letter ``answer`` and the image; ids from ``index``."""

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_file, subset_key="category", container="val")
    template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})
    few_shot_header: ClassVar[str | None] = None

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        if meta.shuffle_choices is not False:
            raise UserError(
                "mm_star writes its options inside the question text, so shuffle_choices cannot reorder them; "
                "leave shuffle_choices unset"
            )
        return super().finalize_meta(meta, given)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answer = str(record["answer"]).strip().upper()
        if answer not in _LETTERS:
            raise UserError(f"mm_star {subset} record {index} has answer {record['answer']!r}; expected A, B, C or D")
        meta_info = record.get("meta_info") or {}
        raw_id = record.get("index")
        image = record_image(record, benchmark="mm_star", subset=subset, split=self.meta.eval_split, index=index)
        return Sample(
            id=str(raw_id) if raw_id is not None else f"{subset}-{index}",
            input=str(record["question"]),
            choices=list(_LETTERS),
            target=answer,
            subset=subset,
            metadata={
                "images": {1: image},
                "l2_category": record.get("l2_category"),
                "source": meta_info.get("source") if isinstance(meta_info, Mapping) else None,
            },
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        # Zero-shot only: the benchmark has no train split, so the base refuses few_shot_num > 0.
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, question=sample.input)
