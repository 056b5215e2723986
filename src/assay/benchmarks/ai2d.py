"""AI2D: multiple-choice questions about grade-school science diagrams, one picture per question.

As in EvalScope (``evalscope/benchmarks/ai2d/ai2d_adapter.py``): the ``test`` split of
``lmms-lab/ai2d`` (3,088 questions, one ``default`` subset), zero-shot, EvalScope's
``MultipleChoiceTemplate.SINGLE_ANSWER_COT`` prompt over the record's ``question`` and its
``options`` list, the diagram sent after the prompt text; the gold letter is the 0-based ``answer``
index as a letter, and the letter after the reply's last ``ANSWER:`` is scored by exact match
(``acc``). No dataset revision is pinned: EvalScope pins none and names no commit.

Differences, on purpose: the image is sent with its real media type (EvalScope labels every AI2D
image ``image/png`` whatever its bytes), and a record without an image or with an answer index
outside its options stops the run with the record named (EvalScope would send the question without
a picture, or score the item 0 for every model).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.benchmarks._vision_mcq_base import ImageAfterText, hub_data_shards, record_image
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample


@register_benchmark(
    BenchmarkMeta(
        name="ai2d",
        pretty_name="AI2D",
        description=(
            "AI2D (AI2 Diagrams) asks multiple-choice questions about grade-school science diagrams (food webs, "
            "life cycles, the water cycle, parts of a plant), which need the diagram's layout, arrows and labels "
            "read together. Each test question is sent zero-shot with its diagram and a step-by-step instruction "
            "ending in 'ANSWER: <letter>'; the extracted letter is scored by exact match."
        ),
        tags=["knowledge", "multiple-choice", "multimodal"],
        paper_url="https://arxiv.org/abs/1603.07396",
        version="1",
        dataset_id="lmms-lab/ai2d",
        homepage="https://prior.allenai.org/projects/diagram-understanding",
        license=None,  # the lmms-lab/ai2d card states none; see the AI2 project page
        sample_counts={"default": 3088},  # test split (EvalScope's _meta/ai2d.json statistics)
        example=BenchmarkExample(
            record={
                "question": "which of these define dairy item",
                "options": ["c", "D", "b", "a"],
                "answer": "1",
                "image": {"bytes": None, "path": "https://example.com/ai2d-test-0.png"},
            },
            source="first test record of lmms-lab/ai2d as EvalScope's _meta/ai2d.json shows it (the diagram, "
            "PNG bytes on the hub, replaced by a URL)",
        ),
        local_layout=(
            "a snapshot of the hub dataset: <dir>/data/test-NNNNN-of-MMMMM.parquet (or <dir>/test.parquet) with "
            "question, options (list), answer (0-based index as text) and image ({bytes, path} cells)"
        ),
        available_subsets=["default"],
        subset_list=["default"],
        eval_split="test",
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
    )
)
class AI2DAdapter(ImageAfterText, MultipleChoiceAdapter):
    """Question, ``options`` list, 0-based ``answer`` and the diagram; ids from the row position."""

    data: ClassVar[DataSpec] = DataSpec(upstream=hub_data_shards)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        options = [str(option) for option in record["options"]]
        answer = str(record["answer"]).strip()
        if not answer.isdigit() or int(answer) >= len(options):
            raise UserError(
                f"ai2d {subset} record {index} has answer {record['answer']!r}; expected the 0-based index of one "
                f"of its {len(options)} options"
            )
        image = record_image(record, benchmark="ai2d", subset=subset, split=self.meta.eval_split, index=index)
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            choices=options,
            target=choice_label(int(answer)),
            subset=subset,
            metadata={"images": {1: image}},
        )
