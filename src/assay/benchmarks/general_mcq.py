"""General-MCQ: the user's own multiple-choice questions, in EvalScope's local format.

Files (``evalscope/benchmarks/general_mcq/general_mcq_adapter.py`` and its custom-dataset guide):
``<local_path>/<subset>_val.csv`` evaluated, ``<subset>_dev.csv`` for few-shot (``.jsonl`` works
too), columns ``id`` (optional), ``question``, ``A``, ``B``, ... (up to ``J``, stopping at the first
missing letter) and ``answer``. The default prompt is EvalScope's Chinese single-answer template;
``extra_params`` ``use_cot`` and ``multiple_correct`` switch to its other Chinese templates, and any
template asking for ``答案：`` is parsed for that marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec
from assay.benchmarks._mcq import (
    CHINESE_MULTIPLE_ANSWER_TEMPLATE,
    CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT,
    CHINESE_SINGLE_ANSWER_TEMPLATE,
    CHINESE_SINGLE_ANSWER_TEMPLATE_COT,
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

_OPTION_COLUMNS = "ABCDEFGHIJ"

#: (multiple_correct, use_cot) -> default template, as EvalScope picks it.
_TEMPLATES = {
    (False, False): CHINESE_SINGLE_ANSWER_TEMPLATE,
    (False, True): CHINESE_SINGLE_ANSWER_TEMPLATE_COT,
    (True, False): CHINESE_MULTIPLE_ANSWER_TEMPLATE,
    (True, True): CHINESE_MULTIPLE_ANSWER_TEMPLATE_COT,
}


@register_benchmark(
    BenchmarkMeta(
        name="general_mcq",
        pretty_name="General-MCQ",
        description=(
            "General-MCQ evaluates your own multiple-choice questions (2 to 10 options, A to J) from local "
            "CSV or JSONL files in EvalScope's format. Zero-shot by default with EvalScope's Chinese "
            "single-answer prompt ('答案：[LETTER]'); few-shot examples come from the dev file. Scored by "
            "exact match of the extracted letter, or by partial-credit set match when extra_params."
            "multiple_correct is true."
        ),
        tags=["multiple-choice", "custom"],
        version="1",
        dataset_id="general_mcq",
        license=None,  # your own data
        example=BenchmarkExample(
            record={
                "id": 1,
                "question": "中国的首都是哪里？",
                "A": "上海",
                "B": "北京",
                "C": "广州",
                "D": "深圳",
                "answer": "B",
            },
            source="a row in EvalScope's general_mcq CSV format (tests/benchmarks/fixtures.py)",
        ),
        local_layout=(
            "<local_path>/<subset>_val.csv (evaluated) and <subset>_dev.csv (few-shot examples), or .jsonl; "
            "columns id (optional), question, A, B, C, D ..., answer (a letter; a list of letters when "
            "multiple_correct)"
        ),
        subset_list=["default"],
        train_split="dev",
        eval_split="val",
        few_shot_num=0,
        prompt_template=CHINESE_SINGLE_ANSWER_TEMPLATE,
        metric_list=["acc"],
        extra_params={"multiple_correct": False, "use_cot": False, **CHOICE_SCORING_PARAMS},
        extra_params_help={
            "multiple_correct": "Questions may have several correct options; 'answer' must then be a list of "
            "letters (JSONL), the multiple-answer template and parser are used and the metric is "
            "multi_choice_acc.",
            "use_cot": "Use the chain-of-thought variant of the default template.",
            **CHOICE_SCORING_HELP,
        },
    )
)
class GeneralMCQAdapter(MultipleChoiceAdapter):
    """Option columns A..J and a letter (or list of letters) answer; ids from the file row."""

    data: ClassVar[DataSpec] = DataSpec(local_only=True)

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        multiple = bool(meta.extra_params["multiple_correct"])
        updates: dict[str, Any] = {}
        if "prompt_template" not in given:  # a template the user gives always wins
            updates["prompt_template"] = _TEMPLATES[multiple, bool(meta.extra_params["use_cot"])]
        if multiple and "metric_list" not in given:
            updates["metric_list"] = ["multi_choice_acc"]
        return super().finalize_meta(meta.with_overrides(updates) if updates else meta, given)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices = []
        for letter in _OPTION_COLUMNS:
            if letter not in record or record[letter] is None:
                break
            choices.append(str(record[letter]))
        if len(choices) < 2:
            raise UserError(
                f"general_mcq {subset} record {index} has {len(choices)} option column(s); expected columns "
                f"A, B, ... (found: {', '.join(map(str, record))})"
            )
        return Sample(
            # The file row is the identity: user 'id' columns are often blank or repeated. It is kept
            # in metadata for display.
            id=f"{subset}-{index}",
            input=str(record["question"]),
            choices=choices,
            target=self._target(record["answer"], len(choices), subset, index),
            subset=subset,
            metadata={"id": record["id"]} if record.get("id") not in (None, "") else {},
        )

    def _target(self, answer: Any, num_choices: int, subset: str, index: int) -> str | list[str]:
        valid = _OPTION_COLUMNS[:num_choices]
        if self.multiple_correct:
            if not isinstance(answer, list) or not answer:
                raise UserError(
                    f"general_mcq with multiple_correct=true needs 'answer' as a list of letters "
                    f'(e.g. ["A", "C"]); {subset} record {index} has {answer!r}'
                )
            letters = [str(a).strip().upper() for a in answer]
        else:
            letters = [str(answer).strip().upper()]
        bad = [letter for letter in letters if letter not in valid]
        if bad:
            # EvalScope would score such a question 0 for every model; a typo should stop the run.
            raise UserError(
                f"general_mcq {subset} record {index} has answer {answer!r}, not among its options {', '.join(valid)}"
            )
        return letters if self.multiple_correct else letters[0]
