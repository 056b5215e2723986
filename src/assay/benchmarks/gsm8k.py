"""GSM8K: grade-school math word problems, 4-shot chain of thought, scored by math equivalence.

Prompts are EvalScope 1.x's (``evalscope/benchmarks/gsm8k/gsm8k_adapter.py``: ``PROMPT_TEMPLATE``,
``FEWSHOT_TEMPLATE``, ``sample_to_fewshot``): the gold answer is the text after ``####``, the
worked solution before it becomes the few-shot "Reasoning".
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import MathAdapter
from assay.benchmarks._registry import register_benchmark
from assay.types import Sample

PROMPT_TEMPLATE = "{question}\nPlease reason step by step, and put your final answer within \\boxed{{}}."
FEW_SHOT_HEADER = "Here are some examples of how to solve similar problems:\n\n{fewshot}\n\n"

_ANSWER_DELIMITER = "####"


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The openai/grade-school-math release: ``<split>.jsonl`` and ``<split>_socratic.jsonl``."""
    return [LocalFile(root / (f"{split}.jsonl" if subset == "main" else f"{split}_{subset}.jsonl"))]


@register_benchmark(
    BenchmarkMeta(
        name="gsm8k",
        pretty_name="GSM8K",
        description=(
            "GSM8K (Grade School Math 8K) measures multi-step arithmetic reasoning on 1,319 test word "
            "problems written by people, each needing 2 to 8 steps. By default the model sees 4 worked "
            "examples from the train split, is asked to reason step by step and put the final answer in "
            "\\boxed{}; the answer is extracted with Math-Verify and counted correct when it is "
            "mathematically equal to the number after '####' in the reference solution."
        ),
        tags=["math", "reasoning"],
        paper_url="https://arxiv.org/abs/2110.14168",
        version="1",
        dataset_id="openai/gsm8k",
        dataset_revision="cc7b047b6e5bb11b4f1af84efc572db110a51b3c",
        modelscope_dataset_id="AI-ModelScope/gsm8k",
        homepage="https://github.com/openai/grade-school-math",
        license="MIT",  # LICENSE of openai/grade-school-math (shared/data/gsm8k/SOURCE.md)
        sample_counts={"main": 1319, "socratic": 1319},  # test.jsonl / test_socratic.jsonl (SOURCE.md; tested)
        example=BenchmarkExample(
            record={
                "question": "Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes "
                "muffins for her friends every day with four. She sells the remainder at the farmers' market daily "
                "for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
                "answer": "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 "
                "every day at the farmer’s market.\n#### 18",
            },
            subset="main",
            source="first record of test.jsonl (openai/grade-school-math)",
        ),
        local_layout=(
            "the upstream release files <dir>/test.jsonl and <dir>/train.jsonl (test_socratic.jsonl for the "
            "'socratic' subset), or hub-style <dir>/main/test.jsonl|parquet; records have 'question' and "
            "'answer' ending in '#### <number>'"
        ),
        available_subsets=["main", "socratic"],
        subset_list=["main"],
        train_split="train",
        eval_split="test",
        few_shot_num=4,
        prompt_template=PROMPT_TEMPLATE,
        metric_list=["acc"],
    )
)
class GSM8KAdapter(MathAdapter):
    """GSM8K records (``question``, ``answer``) to math samples with EvalScope's few-shot format."""

    few_shot_header: ClassVar[str | None] = FEW_SHOT_HEADER

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        *reasoning, target = str(record["answer"]).split(_ANSWER_DELIMITER)
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            target=target.strip(),
            subset=subset,
            metadata={"reasoning": _ANSWER_DELIMITER.join(reasoning).strip()},
        )

    def sample_to_fewshot(self, sample: Sample) -> str:
        reasoning = sample.metadata["reasoning"]
        return f"{sample.input}\n\nReasoning:\n{reasoning}\n\nANSWER: \\boxed{{{sample.target}}}"
