"""OCRBench (v1): 1,000 OCR questions in ten question types, scored by substring match.

As EvalScope (``evalscope/benchmarks/ocr_bench/ocr_bench/ocr_bench_adapter.py``), which follows
the official OCRBench scoring (``Yuliang-Liu/MultimodalOCR``):

* **Data**: the ``test`` split of OCRBench, 1,000 records with ``dataset`` (the source: IIIT5K,
  HME100k, ...), ``question``, ``question_type``, ``answer`` (a list of accepted answers) and a
  JPEG ``image``. EvalScope reads the ModelScope copy ``evalscope/OCRBench``; on the Hugging Face
  hub (Assay's default) the same records are the authors' ``echo840/OCRBench``, so that is
  ``dataset_id`` and ``evalscope/OCRBench`` is used with ``--dataset-hub modelscope``. EvalScope
  pins no revision, so neither does Assay.
* **Subsets**: the ten ``question_type`` values, in EvalScope's order (records are grouped by that
  column of the one file). **Categories**: OCRBench's five task groups, an addition over EvalScope
  (whose report has one category): the six recognition types form "Text Recognition" (300
  questions), as the OCRBench paper and leaderboard report it; the other four are their own group.
  The score itself is unchanged: the mean over all samples (OCRBench's "final score" / 1000).
* **Prompt**: the question alone (``{question}``), zero-shot, the image before the text as EvalScope
  sends it.
* **Metric**: ``acc``: 1 when any gold answer occurs in the reply, both lower-cased with newlines
  as spaces; for HME100k (handwritten formulas) case-sensitive and with every space removed from
  both. The whole reply is matched (no extraction), as upstream. See
  :func:`assay.scoring.scorers.vqa.ocr_bench_match`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._doc_vqa_base import OneImageAdapter, snapshot_shards
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorers import vqa as _vqa_scorers  # noqa: F401  registers ocr_bench_match
from assay.types import Sample

RECOGNITION_TYPES = [
    "Regular Text Recognition",
    "Irregular Text Recognition",
    "Artistic Text Recognition",
    "Handwriting Recognition",
    "Digit String Recognition",
    "Non-Semantic Text Recognition",
]
#: EvalScope's ``SUBSET_LIST``: the question types, in its order.
QUESTION_TYPES = [
    *RECOGNITION_TYPES,
    "Scene Text-centric VQA",
    "Doc-oriented VQA",
    "Key Information Extraction",
    "Handwritten Mathematical Expression Recognition",
]
#: OCRBench's five task groups (paper, Table 1; the leaderboard's columns).
TASK_GROUPS = {
    **dict.fromkeys(RECOGNITION_TYPES, "Text Recognition"),
    **{question_type: question_type for question_type in QUESTION_TYPES[len(RECOGNITION_TYPES) :]},
}


@register_benchmark(
    BenchmarkMeta(
        name="ocr_bench",
        pretty_name="OCRBench",
        description=(
            "OCRBench measures the OCR abilities of multimodal models with 1,000 manually checked questions in "
            "ten types: regular, irregular, artistic, handwritten, digit-string and non-semantic text "
            "recognition, scene-text VQA, document VQA, key information extraction and handwritten math "
            "expressions (HME100k). The image and question are asked zero-shot; a reply counts when it contains "
            "an accepted answer (ignoring case; for formulas, ignoring spaces but not case)."
        ),
        tags=["multimodal", "knowledge", "qa", "ocr"],
        paper_url="https://arxiv.org/abs/2305.07895",
        version="1",
        dataset_id="echo840/OCRBench",
        modelscope_dataset_id="evalscope/OCRBench",
        homepage="https://github.com/Yuliang-Liu/MultimodalOCR",
        license=None,  # not stated on the dataset card; see the homepage
        # Per question type (EvalScope _meta/ocr_bench.json; the OCRBench paper's counts).
        sample_counts={
            **dict.fromkeys(RECOGNITION_TYPES, 50),
            "Scene Text-centric VQA": 200,
            "Doc-oriented VQA": 200,
            "Key Information Extraction": 200,
            "Handwritten Mathematical Expression Recognition": 100,
        },
        example=BenchmarkExample(
            record={
                "dataset": "IIIT5K",
                "question": "what is written in the image?",
                "question_type": "Regular Text Recognition",
                "answer": ["CENTRE"],
                "image": {"bytes": None, "path": "https://example.com/ocrbench/IIIT5K_0.jpg"},
            },
            subset="Regular Text Recognition",
            source="the first record as EvalScope's docs show it; its JPEG bytes replaced by a placeholder URL",
        ),
        local_layout=(
            "a snapshot of echo840/OCRBench (or evalscope/OCRBench): <dir>/data/test-NNNNN-of-MMMMM.parquet "
            "(or hub-style <dir>/default/test.parquet, <dir>/test.parquet) with dataset, question, "
            "question_type, answer (list) and image ({bytes, path})"
        ),
        available_subsets=QUESTION_TYPES,
        subset_list=QUESTION_TYPES,
        eval_split="test",
        few_shot_num=0,
        prompt_template="{question}",
        scorers={"acc": "ocr_bench_match"},
        metric_list=["acc"],
        category_map=TASK_GROUPS,
    )
)
class OCRBenchAdapter(OneImageAdapter):
    """One file of 1,000 records; ``question_type`` names the subset, ``dataset`` picks the match rule."""

    data: ClassVar[DataSpec] = DataSpec(upstream=snapshot_shards, subset_key="question_type")
    image_first: ClassVar[bool] = True

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answers = record["answer"]
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            target=[answers] if isinstance(answers, str) else [str(answer) for answer in answers],
            subset=subset,
            metadata={
                "images": self.images_of(record, subset=subset, index=index),
                "dataset": record.get("dataset"),
                "question_type": record.get("question_type"),
            },
        )
