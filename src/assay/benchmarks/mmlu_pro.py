"""MMLU-Pro: ten-option, reasoning-heavy successor of MMLU over 14 categories.

As in EvalScope (``evalscope/benchmarks/mmlu_pro/mmlu_pro_adapter.py``):

* **Prompt**: EvalScope's ``USER_PROMPT_TEMPLATE`` (``Question:\\n...\\nOptions:\\nA) ...``, asking for a
  last line ``ANSWER: [LETTER]`` with letters ``A,B,...,J`` for the record's options).
* **Few-shot**: 5 by default, the category's first ``validation`` records in file order, each
  ``Question:\\nQ\\nOptions:\\nA opt\\n...`` followed by its ``cot_content`` with ``The answer is (X)``
  rewritten as ``ANSWER: X``; they follow the header ``The following are multiple choice questions
  (with answers) about <category>. ...`` and a blank line, before the question's prompt.
* **Extraction**: the ``ANSWER: X`` letter (``extract_choice``).
* **Metric**: ``acc`` (exact letter match), per category.

Data: ``TIGER-Lab/MMLU-Pro`` (one configuration; the category in ``category``), or local hub-style
files per category.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._mcq import CHOICE_SCORING_HELP, CHOICE_SCORING_PARAMS, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample

#: EvalScope's few-shot header (``SYSTEM_W_EXAMPLES_PROMPT_TEMPLATE``).
EXAMPLES_HEADER_TEMPLATE = (
    "The following are multiple choice questions (with answers) about {subject}. Think step by step and then "
    "finish your answer with 'ANSWER: [LETTER]' (without quotes) where [LETTER] is the correct letter choice.\n\n"
    "{examples}\n"
)

#: EvalScope's ``USER_PROMPT_TEMPLATE``.
USER_PROMPT_TEMPLATE = (
    "Answer the following multiple choice question. The last line of your response should be of the following "
    "format: 'ANSWER: [LETTER]' (without quotes) where [LETTER] is one of {letters}. Think step by step before "
    "answering.\n\nQuestion:\n{question}\nOptions:\n{choices}\n"
)

#: EvalScope's ``SUBSET_LIST`` (the lower-cased ``category`` values), in its order.
SUBSETS = [
    "computer science",
    "math",
    "chemistry",
    "engineering",
    "law",
    "biology",
    "health",
    "physics",
    "business",
    "philosophy",
    "economics",
    "other",
    "psychology",
    "history",
]


@register_benchmark(
    BenchmarkMeta(
        name="mmlu_pro",
        pretty_name="MMLU-Pro",
        description=(
            "MMLU-Pro is a harder MMLU with up to ten options per question (A-J) and more reasoning, over 14 "
            "categories such as law, engineering and psychology. Five chain-of-thought examples from the "
            "category's validation split precede each test question by default; the model ends with "
            "'ANSWER: <letter>' and is scored by exact match."
        ),
        tags=["knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2406.01574",
        version="1",
        dataset_id="TIGER-Lab/MMLU-Pro",
        homepage="https://huggingface.co/datasets/TIGER-Lab/MMLU-Pro",
        license="MIT",  # hub card of TIGER-Lab/MMLU-Pro
        # 12,032 test questions (hub card / paper); per-category numbers changed between hub
        # revisions, so only the total is declared.
        sample_total=12032,
        example=BenchmarkExample(
            record={
                "question_id": 71,
                "question": "Which number is prime among these?",
                "options": ["4", "6", "7"],
                "answer": "C",
                "answer_index": 2,
                "cot_content": "",
                "category": "math",
                "src": "ori_mmlu",
            },
            subset="math",
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout=(
            "hub-style <dir>/<category>/test.jsonl|parquet and <dir>/<category>/validation.* with question, "
            "options (list), answer (a letter), category, cot_content and question_id"
        ),
        available_subsets=list(SUBSETS),
        subset_list=list(SUBSETS),
        train_split="validation",
        eval_split="test",
        few_shot_num=5,
        prompt_template=USER_PROMPT_TEMPLATE,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
    )
)
class MMLUProAdapter(MultipleChoiceAdapter):
    """Reads ``question``, ``options``, letter ``answer`` and ``cot_content`` (for few-shot examples)."""

    # One file (hub configuration or local snapshot) holds every category, named by 'category'.
    data: ClassVar[DataSpec] = DataSpec(subset_key="category")
    # The few-shot prompt is the category header, then the zero-shot prompt (see format_prompt).
    few_shot_header = None

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices = [str(option) for option in record["options"]]
        answer = str(record["answer"]).strip()
        if answer not in [choice_label(i) for i in range(len(choices))]:
            raise UserError(f"MMLU-Pro {subset} record {index} has answer {answer!r} for {len(choices)} options")
        raw_id = record.get("question_id")
        return Sample(
            id=f"{subset}-{raw_id if raw_id not in (None, '') else index}",
            input=str(record["question"]),
            choices=choices,
            target=answer,
            subset=subset,
            metadata={"cot_content": str(record.get("cot_content") or "")},
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        prompt = super().format_prompt(sample, None)
        if not fewshot:
            return prompt
        header = EXAMPLES_HEADER_TEMPLATE.replace("{subject}", sample.subset).replace("{examples}", fewshot)
        return header + "\n" + prompt

    def sample_to_fewshot(self, sample: Sample) -> str:
        assert sample.choices is not None
        options = "\n".join(f"{choice_label(i)} {text}" for i, text in enumerate(sample.choices))
        answer = str(sample.metadata.get("cot_content", "")).replace("The answer is", "ANSWER:")
        letter = answer.split("ANSWER:")[-1].split(".")[0].strip().strip("(").strip(")")
        answer = answer.replace(f"ANSWER: ({letter})", f"ANSWER: {letter}")
        return "\n".join([f"Question:\n{sample.input}", f"Options:\n{options}", answer])
