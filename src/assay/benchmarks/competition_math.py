"""Competition-MATH: the MATH test set (Hendrycks et al.), 4-shot, by difficulty level.

* **Prompt** (EvalScope 1.x ``competition_math``): "Problem:\\n{question}\\n\\nPlease reason step by
  step, and put your final answer within \\boxed{}."; with examples it is preceded by "Here are some
  examples of how to solve similar problems:\\n\\n{fewshot}\\n".
* **Few-shot**: the first 4 train problems of the same level, each "Problem:\\n...\\nSolution:\\n<answer>"
  (EvalScope shows only the final answer, not the worked solution).
* **Subsets**: ``Level 1`` ... ``Level 5`` from each record's ``level`` column. Assay adds ``all``
  (every record, no level needed), the only subset the simple-evals CSV (``Question``, ``Answer``;
  no level, no solution, no train split) can give: use it with ``few_shot_num: 0``.
* **Target**: the last ``\\boxed{}`` of the ``solution`` (or the CSV's ``Answer``).
* **Extraction / metric**: ``acc`` by Math-Verify equivalence in the process pool with a per-item
  time limit; a timeout excludes the item with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._competition_math_base import answer_text, last_boxed_content
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import MathAdapter
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.extract import extract_math_answer
from assay.types import Sample

PROMPT_TEMPLATE = "Problem:\n{question}\n\nPlease reason step by step, and put your final answer within \\boxed{{}}.\n"
FEW_SHOT_PROMPT_TEMPLATE = "Here are some examples of how to solve similar problems:\n\n{fewshot}\n" + PROMPT_TEMPLATE
LEVELS = [f"Level {n}" for n in range(1, 6)]
ALL_LEVELS = "all"


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """openai/simple-evals names its copy of the test split ``math_test.csv``."""
    return [LocalFile(root / f"math_{split}.csv")]


def level_of(record: Mapping[str, Any]) -> str:
    """The subset of a MATH record: its ``level`` (``Level 3``)."""
    if "level" not in record:
        raise UserError(
            "competition_math: this file has no 'level' column (the simple-evals CSV has answers only); "
            "set subset_list to ['all'] and few_shot_num to 0 in dataset_args"
        )
    return str(record["level"])


@register_benchmark(
    BenchmarkMeta(
        name="competition_math",
        pretty_name="Competition-MATH",
        description=(
            "Competition-MATH measures competition-math problem solving on the 5,000 test problems of the "
            "MATH dataset (AMC, AIME and other contests; seven topics), reported per difficulty level 1-5. "
            "By default each problem comes with 4 examples of its level from the train split; the model "
            "reasons step by step and puts the final answer in \\boxed{}, which is counted correct when "
            "Math-Verify finds it equivalent to the boxed answer of the reference solution."
        ),
        tags=["math", "reasoning"],
        paper_url="https://arxiv.org/abs/2103.03874",
        version="1",
        dataset_id="evalscope/competition_math",
        homepage="https://github.com/hendrycks/math",
        license="MIT",  # hendrycks/math LICENSE; the simple-evals copy is MIT too (shared/data/math/SOURCE.md)
        # 5,000 test problems (the MATH paper); per-level numbers are not declared here: the shared
        # copy has no level column, so only the 'all' subset can be checked (tested).
        sample_counts={"all": 5000},
        example=BenchmarkExample(
            record={
                "Question": "How many vertical asymptotes does the graph of $y=\\frac{2}{x^2+x-6}$ have?",
                "Answer": "2",
            },
            subset="all",
            source="first row of math_test.csv (openai/simple-evals copy of the MATH test split)",
        ),
        local_layout=(
            "hub-style <dir>/default/<split>.jsonl|parquet or <dir>/<split>.jsonl with problem, solution, level, "
            "type; or the simple-evals <dir>/math_test.csv (Question, Answer; answers only, no level: use "
            "subset_list ['all'] and few_shot_num 0)"
        ),
        available_subsets=[*LEVELS, ALL_LEVELS],
        subset_list=LEVELS,
        train_split="train",
        eval_split="test",
        few_shot_num=4,
        prompt_template=PROMPT_TEMPLATE,
        few_shot_prompt_template=FEW_SHOT_PROMPT_TEMPLATE,
        metric_list=["acc"],
    )
)
class CompetitionMathAdapter(MathAdapter):
    """MATH records (``problem``, ``solution``, ``level``, ``type``) or simple-evals rows."""

    # One split holds every level; 'all' keeps every record.
    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files, subset_key=level_of, whole_subset=ALL_LEVELS)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        if "Question" in record:  # simple-evals CSV
            return Sample(
                id=f"{subset}-{index}",
                input=str(record["Question"]),
                target=answer_text(record["Answer"]),
                subset=subset,
            )
        solution = str(record["solution"])
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["problem"]),
            target=last_boxed_content(solution),
            subset=subset,
            metadata={"solution": solution, "type": record.get("type", ""), "level": record.get("level", "")},
        )

    def sample_to_fewshot(self, sample: Sample) -> str:
        # EvalScope shows its extracted answer (Math-Verify's display of the solution's box).
        answer = extract_math_answer(sample.metadata.get("solution", "")) or sample.target
        return f"Problem:\n{sample.input}\nSolution:\n{answer}"
