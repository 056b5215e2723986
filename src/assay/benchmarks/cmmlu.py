"""CMMLU: 67-subject Chinese knowledge test with EvalScope's Chinese chain-of-thought MCQ prompt.

As in EvalScope (``evalscope/benchmarks/cmmlu/cmmlu_adapter.py``):

* **Prompt**: ``CHINESE_SINGLE_ANSWER_TEMPLATE_COT`` (``问题：...\\n选项：\\nA) ...``, last line
  ``答案：[LETTER]``).
* **Few-shot**: none by default; with ``few_shot_num`` up to 5, the subject's ``dev`` examples in file
  order, each ``问题：Q\\n选项：\\nA) ...\\n答案：X``, after the header ``以下是一些示例问题：``.
* **Extraction**: the letter after ``答案：`` (EvalScope's Chinese parser, via ``extract_choice``).
* **Metric**: ``acc`` (exact letter match), per subject and over EvalScope's five categories
  (STEM, Humanities, Social Science, China specific, Other).

Data: the upstream release CSVs (``data/test/<subject>.csv``, header ``,Question,A,B,C,D,Answer``) or
EvalScope's hub copy (one configuration; ``choices`` like ``(A) 土地``, ``answer`` like ``(B)``,
subject in ``category``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._mcq import (
    CHINESE_SINGLE_ANSWER_TEMPLATE_COT,
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    MultipleChoiceAdapter,
    format_options,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

#: EvalScope's few-shot header for Chinese prompts (``CHINESE_FEW_SHOT_TEMPLATE``).
CHINESE_FEW_SHOT_TEMPLATE = "以下是一些示例问题：\n\n{fewshot}\n\n"

#: Subject -> category, exactly EvalScope's ``SUBJECT_MAPPING`` (last column), in its order.
SUBJECT_CATEGORIES: dict[str, str] = {
    "agronomy": "Other",
    "anatomy": "STEM",
    "ancient_chinese": "China specific",
    "arts": "Humanities",
    "astronomy": "STEM",
    "business_ethics": "Social Science",
    "chinese_civil_service_exam": "China specific",
    "chinese_driving_rule": "China specific",
    "chinese_food_culture": "China specific",
    "chinese_foreign_policy": "China specific",
    "chinese_history": "China specific",
    "chinese_literature": "China specific",
    "chinese_teacher_qualification": "China specific",
    "college_actuarial_science": "STEM",
    "college_education": "Social Science",
    "college_engineering_hydrology": "STEM",
    "college_law": "Humanities",
    "college_mathematics": "STEM",
    "college_medical_statistics": "STEM",
    "clinical_knowledge": "Other",
    "college_medicine": "Other",
    "computer_science": "STEM",
    "computer_security": "Other",
    "conceptual_physics": "STEM",
    "construction_project_management": "China specific",
    "economics": "Social Science",
    "education": "Social Science",
    "elementary_chinese": "China specific",
    "elementary_commonsense": "China specific",
    "elementary_information_and_technology": "Other",
    "electrical_engineering": "STEM",
    "elementary_mathematics": "STEM",
    "ethnology": "China specific",
    "food_science": "Other",
    "genetics": "STEM",
    "global_facts": "Humanities",
    "high_school_biology": "STEM",
    "high_school_chemistry": "STEM",
    "high_school_geography": "Social Science",
    "high_school_mathematics": "STEM",
    "high_school_physics": "STEM",
    "high_school_politics": "China specific",
    "human_sexuality": "Other",
    "international_law": "Humanities",
    "journalism": "Social Science",
    "jurisprudence": "Humanities",
    "legal_and_moral_basis": "Other",
    "logical": "Humanities",
    "machine_learning": "STEM",
    "management": "Social Science",
    "marketing": "Social Science",
    "marxist_theory": "Humanities",
    "modern_chinese": "China specific",
    "nutrition": "Other",
    "philosophy": "Humanities",
    "professional_accounting": "Social Science",
    "professional_law": "Humanities",
    "professional_medicine": "Other",
    "professional_psychology": "Social Science",
    "public_relations": "Social Science",
    "security_study": "Social Science",
    "sociology": "Social Science",
    "sports_science": "Other",
    "traditional_chinese_medicine": "China specific",
    "virology": "STEM",
    "world_history": "Humanities",
    "world_religions": "Humanities",
}

_LETTERS = "ABCD"


#: Test questions per subject (11,582 in all), in SUBJECT_CATEGORIES order: the upstream
#: data/test/*.csv files (shared/data/cmmlu/SOURCE.md); checked against the files by the tests.
_TEST_COUNTS: dict[str, int] = dict(
    zip(
        SUBJECT_CATEGORIES,
        (
            169,
            148,
            164,
            160,
            165,
            209,
            160,
            131,
            136,
            107,
            323,
            204,
            179,
            106,
            107,
            106,
            108,
            105,
            106,
            237,
            273,
            204,
            171,
            147,
            139,
            159,
            163,
            252,
            198,
            238,
            172,
            230,
            135,
            143,
            176,
            149,
            169,
            132,
            118,
            164,
            110,
            143,
            126,
            185,
            172,
            411,
            214,
            123,
            122,
            210,
            180,
            189,
            116,
            145,
            105,
            175,
            211,
            376,
            232,
            174,
            135,
            226,
            165,
            185,
            169,
            161,
            160,
        ),
        strict=True,
    )
)


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The haonan-li/CMMLU release: ``data/<split>/<subject>.csv`` (or without ``data/``)."""
    return [LocalFile(base / split / f"{subset}.csv") for base in (root / "data", root)]


@register_benchmark(
    BenchmarkMeta(
        name="cmmlu",
        pretty_name="C-MMLU",
        description=(
            "CMMLU (Chinese Massive Multitask Language Understanding) measures Chinese knowledge and "
            "reasoning with 11,582 four-option questions over 67 subjects, from elementary Chinese to "
            "professional law, including China-specific topics, grouped into STEM, Humanities, Social "
            "Science, China specific and Other. Zero-shot by default with a Chinese step-by-step "
            "instruction ending in '答案：<letter>'; the extracted letter is scored by exact match."
        ),
        tags=["knowledge", "multiple-choice", "chinese"],
        paper_url="https://arxiv.org/abs/2306.09212",
        version="1",
        dataset_id="evalscope/cmmlu",
        homepage="https://github.com/haonan-li/CMMLU",
        license="CC-BY-NC-SA-4.0",  # README 'License' section of haonan-li/CMMLU (shared/data/cmmlu/SOURCE.md)
        sample_counts=_TEST_COUNTS,
        example=BenchmarkExample(
            record={
                "": "0",
                "Question": "在农业生产中被当作极其重要的劳动对象发挥作用，最主要的不可替代的基本生产资料是",
                "A": "农业生产工具",
                "B": "土地",
                "C": "劳动力",
                "D": "资金",
                "Answer": "B",
            },
            subset="agronomy",
            source="first row of data/test/agronomy.csv (haonan-li/CMMLU)",
        ),
        local_layout=(
            "the upstream release <dir>/data/test/<subject>.csv and <dir>/data/dev/<subject>.csv (or without "
            "data/) with header ',Question,A,B,C,D,Answer', or hub-style <dir>/<subject>/test.jsonl|parquet "
            "with question, choices ['(A) ...'], answer '(A)'"
        ),
        available_subsets=list(SUBJECT_CATEGORIES),
        subset_list=list(SUBJECT_CATEGORIES),
        train_split="dev",
        eval_split="test",
        few_shot_num=0,
        prompt_template=CHINESE_SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
        category_map=SUBJECT_CATEGORIES,
    )
)
class CMMLUAdapter(MultipleChoiceAdapter):
    """Reads the upstream CSVs (``Question``, ``A``-``D``, ``Answer``) and EvalScope's hub schema."""

    few_shot_header = CHINESE_FEW_SHOT_TEMPLATE
    # The hub keeps every subject in one configuration, told apart by its 'category' column.
    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files, subset_key="category")

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        if "choices" in record:  # hub: "(A) 土地"; EvalScope drops the first three characters
            choices = [str(c)[3:].strip() for c in record["choices"]]
            answer = str(record["answer"]).strip().strip("()")
            question = record["question"]
        else:
            choices = [str(record[letter]) for letter in _LETTERS]
            answer = str(record["Answer"]).strip()
            question = record["Question"]
        if answer not in _LETTERS[: len(choices)] or not answer:
            raise UserError(f"CMMLU {subset} record {index} has answer {answer!r}; expected one of A-D")
        return Sample(id=f"{subset}-{index}", input=str(question), choices=choices, target=answer, subset=subset)

    def sample_to_fewshot(self, sample: Sample) -> str:
        assert sample.choices is not None
        return f"问题：{sample.input}\n选项：\n{format_options(sample.choices)}\n答案：{sample.target}"
