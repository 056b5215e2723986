"""MMLU: 57-subject knowledge test, 5-shot from the dev split, EvalScope's chain-of-thought MCQ prompt.

As in EvalScope (``evalscope/benchmarks/mmlu/mmlu_adapter.py``): prompt
``MultipleChoiceTemplate.SINGLE_ANSWER_COT``, 5 examples from ``dev`` per subject, the hub's ``all``
configuration split by ``subject``, and the subject -> category map below (STEM, Humanities,
Social Science, Other) for grouped report rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._mcq import (
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    SINGLE_ANSWER_TEMPLATE_COT,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.types import Sample

#: Subject -> category, exactly EvalScope's ``SUBJECT_MAPPING`` (last column).
SUBJECT_CATEGORIES: dict[str, str] = {
    "abstract_algebra": "STEM",
    "anatomy": "Other",
    "astronomy": "STEM",
    "business_ethics": "Other",
    "clinical_knowledge": "Other",
    "college_biology": "STEM",
    "college_chemistry": "STEM",
    "college_computer_science": "STEM",
    "college_mathematics": "STEM",
    "college_medicine": "Other",
    "college_physics": "STEM",
    "computer_security": "STEM",
    "conceptual_physics": "STEM",
    "econometrics": "Social Science",
    "electrical_engineering": "STEM",
    "elementary_mathematics": "STEM",
    "formal_logic": "Humanities",
    "global_facts": "Other",
    "high_school_biology": "STEM",
    "high_school_chemistry": "STEM",
    "high_school_computer_science": "STEM",
    "high_school_european_history": "Humanities",
    "high_school_geography": "Social Science",
    "high_school_government_and_politics": "Social Science",
    "high_school_macroeconomics": "Social Science",
    "high_school_mathematics": "STEM",
    "high_school_microeconomics": "Social Science",
    "high_school_physics": "STEM",
    "high_school_psychology": "Social Science",
    "high_school_statistics": "STEM",
    "high_school_us_history": "Humanities",
    "high_school_world_history": "Humanities",
    "human_aging": "Other",
    "human_sexuality": "Social Science",
    "international_law": "Humanities",
    "jurisprudence": "Humanities",
    "logical_fallacies": "Humanities",
    "machine_learning": "STEM",
    "management": "Other",
    "marketing": "Other",
    "medical_genetics": "Other",
    "miscellaneous": "Other",
    "moral_disputes": "Humanities",
    "moral_scenarios": "Humanities",
    "nutrition": "Other",
    "philosophy": "Humanities",
    "prehistory": "Humanities",
    "professional_accounting": "Other",
    "professional_law": "Humanities",
    "professional_medicine": "Other",
    "professional_psychology": "Social Science",
    "public_relations": "Social Science",
    "security_studies": "Social Science",
    "sociology": "Social Science",
    "us_foreign_policy": "Social Science",
    "virology": "Other",
    "world_religions": "Humanities",
}

#: Upstream file layout: <dir>/<folder>/<subject>_<folder>.csv, without a header row.
_UPSTREAM_FOLDERS = {"test": "test", "dev": "dev", "validation": "val", "val": "val"}
_UPSTREAM_COLUMNS = ("question", "A", "B", "C", "D", "answer")
_LETTERS = "ABCD"


#: Test questions per subject (14,042 in all), in SUBJECT_CATEGORIES order: the upstream test/*.csv
#: files (shared/data/mmlu/SOURCE.md); tests/cli/test_benchmark_info.py checks them against the files.
_TEST_COUNTS: dict[str, int] = dict(
    zip(
        SUBJECT_CATEGORIES,
        (
            100,
            135,
            152,
            100,
            265,
            144,
            100,
            100,
            100,
            173,
            102,
            100,
            235,
            114,
            145,
            378,
            126,
            100,
            310,
            203,
            100,
            165,
            198,
            193,
            390,
            270,
            238,
            151,
            545,
            216,
            204,
            237,
            223,
            131,
            121,
            108,
            163,
            112,
            103,
            234,
            100,
            783,
            346,
            895,
            306,
            311,
            324,
            282,
            1534,
            272,
            612,
            110,
            245,
            201,
            100,
            166,
            171,
        ),
        strict=True,
    )
)


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The hendrycks release: header-less ``<split>/<subject>_<split>.csv`` (``val`` for validation)."""
    folder = _UPSTREAM_FOLDERS.get(split, split)
    return [LocalFile(root / folder / f"{subset}_{folder}.csv", fieldnames=_UPSTREAM_COLUMNS)]


@register_benchmark(
    BenchmarkMeta(
        name="mmlu",
        pretty_name="MMLU",
        description=(
            "MMLU (Massive Multitask Language Understanding) measures knowledge from pretraining with "
            "14,042 four-option questions over 57 subjects, from elementary mathematics to professional "
            "law, grouped into STEM, Humanities, Social Science and Other. By default each question comes "
            "with the subject's 5 dev-split examples and a step-by-step instruction ending in "
            "'ANSWER: <letter>'; the extracted letter is scored by exact match, per subject and category."
        ),
        tags=["knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2009.03300",
        version="1",
        dataset_id="cais/mmlu",
        dataset_revision="c30699e8356da336a370243923dbaf21066bb9fe",
        homepage="https://github.com/hendrycks/test",
        license="MIT",  # hendrycks/test LICENSE (shared/data/mmlu/SOURCE.md)
        sample_counts=_TEST_COUNTS,
        example=BenchmarkExample(
            record={
                "question": "Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.",
                "A": "0",
                "B": "4",
                "C": "2",
                "D": "6",
                "answer": "B",
            },
            subset="abstract_algebra",
            source="first row of test/abstract_algebra_test.csv (hendrycks data.tar)",
        ),
        local_layout=(
            "the upstream release <dir>/test/<subject>_test.csv and <dir>/dev/<subject>_dev.csv without a "
            "header (question,A,B,C,D,answer), or hub-style <dir>/<subject>/test.parquet|jsonl with "
            "question, choices, answer"
        ),
        available_subsets=list(SUBJECT_CATEGORIES),
        subset_list=list(SUBJECT_CATEGORIES),
        train_split="dev",
        eval_split="test",
        few_shot_num=5,
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
        category_map=SUBJECT_CATEGORIES,
    )
)
class MMLUAdapter(MultipleChoiceAdapter):
    """Reads the upstream header-less CSVs and the hub schema (``choices`` list, integer ``answer``)."""

    # One download of the hub's 'all' configuration serves all 57 subjects (EvalScope does the same).
    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files, subset_key="subject", container="all")

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        if "choices" in record:
            choices = [str(c) for c in record["choices"]]
        else:
            choices = [str(record[letter]) for letter in _LETTERS]
        answer = record["answer"]
        if isinstance(answer, int) and 0 <= answer < len(choices):
            target = _LETTERS[answer]
        elif isinstance(answer, str) and answer.strip().upper() in _LETTERS[: len(choices)]:
            target = answer.strip().upper()
        else:
            raise UserError(f"MMLU {subset} record {index} has answer {answer!r}; expected 0-3 or A-D")
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["question"]),
            choices=choices,
            target=target,
            subset=subset,
        )
