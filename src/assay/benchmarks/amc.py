"""AMC: problems of the AMC 10/12 contests 2022-2024 with their numeric answers, 0-shot.

* **Prompt** (EvalScope 1.x ``amc``): ``{question}`` followed by "Please reason step by step, and
  put your final answer within \\boxed{}." No few-shot examples.
* **Subsets**: ``amc22``, ``amc23``, ``amc24``; on the hub (``scottgeng00/amc_22-24``) each is a
  split of the default configuration (EvalScope's ``split_as_subset``). Locally each subset is
  ``<dir>/<subset>/test.jsonl`` (the AMC 2023 file of Qwen2.5-Math is ``amc23/test.jsonl``).
* **Extraction**: the last ``\\boxed{}``, else ``The answer is ...`` or the last expression.
* **Metric**: ``acc``, Math-Verify equivalence with ``answer`` in the process pool with a per-item
  time limit; a timeout excludes the item with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._competition_math_base import BOXED_PROMPT, answer_text
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import MathAdapter
from assay.benchmarks._registry import register_benchmark
from assay.types import Sample

SUBSETS = ["amc22", "amc23", "amc24"]


@register_benchmark(
    BenchmarkMeta(
        name="amc",
        pretty_name="AMC",
        description=(
            "AMC measures competition-math problem solving on AMC 10 and AMC 12 problems from 2022, 2023 "
            "and 2024 (one subset per year), each with a numeric answer. The model reasons step by step "
            "and puts the final answer in \\boxed{}; the answer is extracted with Math-Verify and counted "
            "correct when it is mathematically equal to the reference."
        ),
        tags=["math", "reasoning"],
        version="1",
        dataset_id="scottgeng00/amc_22-24",
        modelscope_dataset_id="evalscope/amc_22-24",
        homepage="https://huggingface.co/datasets/scottgeng00/amc_22-24",
        license=None,  # no licence on the hub card; the problems are MAA contest problems
        # Per-year counts of scottgeng00/amc_22-24 could not be confirmed offline: none declared. (The
        # shared AMC 2023 copy from Qwen2.5-Math has 40 problems; it is another source.)
        example=BenchmarkExample(
            record={
                "id": 0,
                "problem": "Cities $A$ and $B$ are $45$ miles apart. Alicia lives in $A$ and Beth lives in $B$. "
                "Alicia bikes towards $B$ at 18 miles per hour. Leaving at the same time, Beth bikes toward $A$ at 12 "
                "miles per hour. How many miles from City $A$ will they be when they meet?",
                "answer": 27.0,
                "url": "https://artofproblemsolving.com/wiki/index.php/2023_AMC_12A_Problems/Problem_1",
            },
            subset="amc23",
            source="first record of amc23/test.jsonl (QwenLM/Qwen2.5-Math; 'question' duplicate left out)",
        ),
        local_layout=(
            "<dir>/<subset>/test.jsonl per year (amc23/test.jsonl from Qwen2.5-Math) or <dir>/<subset>.jsonl; "
            "records have problem and answer"
        ),
        available_subsets=SUBSETS,
        subset_list=SUBSETS,
        eval_split="test",
        few_shot_num=0,
        prompt_template=BOXED_PROMPT,
        metric_list=["acc"],
    )
)
class AMCAdapter(MathAdapter):
    """AMC records (``problem``, ``answer``; a float such as ``27.0`` is read as ``27``)."""

    # The hub dataset has one configuration whose splits are the years.
    data: ClassVar[DataSpec] = DataSpec(hub_route=lambda meta, subset, split: ("default", subset))

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        return Sample(
            id=str(record.get("id", f"{subset}-{index}")),
            input=str(record["problem"]),
            target=answer_text(record["answer"]),
            subset=subset,
            metadata={"year": record.get("year", ""), "url": record.get("url", "")},
        )
