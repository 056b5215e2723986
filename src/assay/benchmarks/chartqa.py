"""ChartQA: questions about bar, line and pie charts, scored by relaxed accuracy.

As EvalScope (``evalscope/benchmarks/chartqa/chartqa_adapter.py`` and ``utils.py``):

* **Data**: the ``test`` split of ``lmms-lab/ChartQA`` (one configuration, 2,500 records with
  ``type``, ``question``, ``answer`` and a PNG ``image``), grouped by the ``type`` column into the
  subsets ``human_test`` (human-written questions) and ``augmented_test`` (machine-generated),
  1,250 each. EvalScope pins no revision, so neither does Assay.
* **Prompt**: EvalScope's ``OPEN_PROMPT`` (a blank line, the question, a blank line, the request
  for a last line ``ANSWER: [ANSWER]``), zero-shot, the chart image after the text.
* **Extraction**: the text after the last ``ANSWER:`` (case-sensitive) to the end of its line,
  stripped; a reply without it is scored as the empty answer and counted as an extraction failure.
* **Metric**: ``relaxed_acc``, the ChartQA paper's relaxed accuracy as EvalScope (and Qwen-VL)
  compute it: a number within 5 % of a non-zero gold number, anything else by case-insensitive
  exact match. Kept as upstream: ``1,000`` is not read as a number, ``50%`` means 0.5 (so it does
  not match a gold ``50``), and a gold ``0`` needs the text ``0``. See
  :func:`assay.scoring.scorers.vqa.relaxed_correctness`.

The score is the mean over both subsets' samples (EvalScope's default ``mean``), not the mean of
the two subset scores; each subset is reported too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._doc_vqa_base import OneImageAdapter, snapshot_shards
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.scoring.scorers import vqa as _vqa_scorers  # noqa: F401  registers relaxed_acc
from assay.types import Sample

SUBSETS = ["human_test", "augmented_test"]

#: EvalScope's ``OPEN_PROMPT``, its leading and trailing newlines included (its "the a" too).
OPEN_PROMPT = (
    "\n{question}\n\n"
    'The last line of your response should be of the form "ANSWER: [ANSWER]" (without quotes) where [ANSWER] '
    "is the a single word answer or number to the problem.\n"
)


@register_benchmark(
    BenchmarkMeta(
        name="chartqa",
        pretty_name="ChartQA",
        description=(
            "ChartQA asks questions about real-world bar, line and pie charts that need reading values off "
            "the chart and reasoning over them (human-written and machine-generated questions, 1,250 each). "
            "The chart image and question are asked zero-shot; the answer after 'ANSWER:' is scored by "
            "relaxed accuracy: numbers within 5% of the gold value, other answers by exact match ignoring case."
        ),
        tags=["multimodal", "knowledge", "qa", "chart"],
        paper_url="https://arxiv.org/abs/2203.10244",
        version="1",
        dataset_id="lmms-lab/ChartQA",
        homepage="https://github.com/vis-nlp/ChartQA",
        license="GPL-3.0",  # vis-nlp/ChartQA repository; the HuggingFaceM4/ChartQA card says the same
        sample_counts={"human_test": 1250, "augmented_test": 1250},  # EvalScope _meta/chartqa.json
        example=BenchmarkExample(
            record={
                "type": "human_test",
                "question": "How many food item is shown in the bar graph?",
                "answer": "14",
                "image": {"bytes": None, "path": "https://example.com/chartqa/human_test_0.png"},
            },
            subset="human_test",
            source="the first human_test record as EvalScope's docs show it; its PNG bytes replaced by a "
            "placeholder URL",
        ),
        local_layout=(
            "a snapshot of lmms-lab/ChartQA: <dir>/data/test-00000-of-00001.parquet (or hub-style "
            "<dir>/default/test.parquet, <dir>/test.parquet) with type (human_test|augmented_test), question, "
            "answer and image ({bytes, path})"
        ),
        available_subsets=SUBSETS,
        subset_list=SUBSETS,
        eval_split="test",
        few_shot_num=0,
        prompt_template=OPEN_PROMPT,
        scorers={"relaxed_acc": "relaxed_acc"},
        metric_list=["relaxed_acc"],
    )
)
class ChartQAAdapter(OneImageAdapter):
    """One file holds both subsets; a record's ``type`` names its subset."""

    data: ClassVar[DataSpec] = DataSpec(upstream=snapshot_shards, subset_key="type")

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            target=str(record["answer"]),
            subset=subset,
            metadata={"images": self.images_of(record, subset=subset, index=index)},
        )
