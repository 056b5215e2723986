"""RealWorldQA: questions about real-world photographs (many taken from cars), with short verifiable answers.

As in EvalScope (``evalscope/benchmarks/real_world_qa/real_world_qa_adapter.py``): the ``test``
split of ``lmms-lab/RealWorldQA`` (765 questions, one ``default`` subset), zero-shot, EvalScope's
open-answer prompt around the record's ``question`` (which itself carries the options of the
multiple-choice items, ``A. ...`` lines, and an instruction such as "Please answer directly with
only the letter of the correct option"), the photograph sent after the prompt text. The answer is
the text after the reply's last ``ANSWER:`` and is scored by exact match with the gold answer,
ignoring case (``acc``; the ``answer_line_exact`` scorer, quirks included: ``ANSWER: B.`` does not
match ``B``). No dataset revision is pinned: EvalScope pins none and names no commit.

Differences, on purpose: the photograph goes with its real media type (EvalScope labels every one
``image/webp``), a record without an image stops the run with the record named (EvalScope would ask
the question without it), and a reply without an ``ANSWER:`` line is counted as an extraction
failure (it scores 0 in both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import assay.scoring.scorers.answer_line  # noqa: F401  (registers the answer_line_exact scorer)
from assay.benchmarks._base import DataSpec
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision_mcq_base import ImageAfterText, hub_data_shards, record_image
from assay.types import Sample

#: EvalScope's ``OPEN_PROMPT`` for RealWorldQA, byte for byte (no space after "step by step.").
OPEN_PROMPT = (
    "Read the picture and solve the following problem step by step."
    "The last line of your response should be of the form"
    ' "ANSWER: [ANSWER]" (without quotes) where [ANSWER] is the answer to the problem.\n\n'
    "{question}\n\n"
    "Remember to put your answer on its own line at the end in the form"
    ' "ANSWER: [ANSWER]" (without quotes) where [ANSWER] is the answer to the problem,'
    " and you do not need to use a \\boxed command."
)


@register_benchmark(
    BenchmarkMeta(
        name="real_world_qa",
        pretty_name="RealWorldQA",
        description=(
            "RealWorldQA (xAI) tests basic real-world spatial understanding with 765 photographs, many taken "
            "from vehicles: directions, distances, counts, signs and what a driver may do next. Most questions "
            "list lettered options inside the text, the rest ask for a word or a number. Each is sent zero-shot "
            "with its photograph and a step-by-step instruction ending in 'ANSWER: <answer>'; the answer is "
            "scored by exact match, ignoring case."
        ),
        tags=["knowledge", "qa", "multimodal"],
        version="1",
        dataset_id="lmms-lab/RealWorldQA",
        homepage="https://x.ai/blog/grok-1.5v",
        license="CC-BY-ND-4.0",  # xai-org/RealworldQA card, the original of lmms-lab/RealWorldQA
        sample_counts={"default": 765},  # test split (EvalScope's _meta/real_world_qa.json statistics)
        example=BenchmarkExample(
            record={
                "question": "In which direction is the front wheel of the car on the right side facing?\n\n"
                "A. Left\nB. Straight\nC. Right\n\n"
                "Please answer directly with only the letter of the correct option and nothing else.",
                "answer": "C",
                "image_path": "0.webp",
                "image": {"bytes": None, "path": "https://example.com/realworldqa-0.webp"},
            },
            source="illustrative record in the hub schema, modelled on the first test record (EvalScope's "
            "_meta/real_world_qa.json shows it truncated), not verbatim",
        ),
        local_layout=(
            "a snapshot of the hub dataset: <dir>/data/test-NNNNN-of-MMMMM.parquet (or <dir>/test.parquet) with "
            "question, answer, image_path and image ({bytes, path} cells)"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template=OPEN_PROMPT,
        metric_list=["acc"],
    )
)
class RealWorldQAAdapter(ImageAfterText, QuestionAnswerAdapter):
    """Question (options inside, when it has some), short gold answer and the photograph; ids from the row."""

    data: ClassVar[DataSpec] = DataSpec(upstream=hub_data_shards)
    default_scorers: ClassVar[dict[str, str]] = {"acc": "answer_line_exact"}

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        image = record_image(record, benchmark="real_world_qa", subset=subset, split=self.meta.eval_split, index=index)
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            target=str(record["answer"]).strip(),
            subset=subset,
            metadata={"images": {1: image}, "image_path": record.get("image_path")},
        )
