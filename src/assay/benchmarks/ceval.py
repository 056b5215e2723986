"""C-Eval: 52-subject Chinese exam questions, 5-shot from dev, EvalScope's Chinese prompt.

As in EvalScope (``evalscope/benchmarks/ceval/ceval_adapter.py``, evaluation version v1.1): the
``val`` split of ``ceval/ceval-exam`` per subject (the test split has no public answers), 5 examples
from ``dev`` shown with their explanation (``问题：``/``选项：``/``解析：``/``答案：``), the prompt below
naming the subject in Chinese with options as ``A. text``, and the subject -> category map (STEM,
Social Science, Humanities, Other) for grouped report rows. The reply's ``答案：X`` letter is read
with EvalScope's Chinese parser and scored by exact match (``acc``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, format_template
from assay.benchmarks._mcq import CHOICE_SCORING_HELP, CHOICE_SCORING_PARAMS, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.types import Sample

#: Subject -> (Chinese name shown in the prompt, category), EvalScope's ``SUBJECT_MAPPING``.
SUBJECTS: dict[str, tuple[str, str]] = {
    "computer_network": ("计算机网络", "STEM"),
    "operating_system": ("操作系统", "STEM"),
    "computer_architecture": ("计算机组成", "STEM"),
    "college_programming": ("大学编程", "STEM"),
    "college_physics": ("大学物理", "STEM"),
    "college_chemistry": ("大学化学", "STEM"),
    "advanced_mathematics": ("高等数学", "STEM"),
    "probability_and_statistics": ("概率统计", "STEM"),
    "discrete_mathematics": ("离散数学", "STEM"),
    "electrical_engineer": ("注册电气工程师", "STEM"),
    "metrology_engineer": ("注册计量师", "STEM"),
    "high_school_mathematics": ("高中数学", "STEM"),
    "high_school_physics": ("高中物理", "STEM"),
    "high_school_chemistry": ("高中化学", "STEM"),
    "high_school_biology": ("高中生物", "STEM"),
    "middle_school_mathematics": ("初中数学", "STEM"),
    "middle_school_biology": ("初中生物", "STEM"),
    "middle_school_physics": ("初中物理", "STEM"),
    "middle_school_chemistry": ("初中化学", "STEM"),
    "veterinary_medicine": ("兽医学", "STEM"),
    "college_economics": ("大学经济学", "Social Science"),
    "business_administration": ("工商管理", "Social Science"),
    "marxism": ("马克思主义基本原理", "Social Science"),
    "mao_zedong_thought": ("毛泽东思想和中国特色社会主义理论体系概论", "Social Science"),
    "education_science": ("教育学", "Social Science"),
    "teacher_qualification": ("教师资格", "Social Science"),
    "high_school_politics": ("高中政治", "Social Science"),
    "high_school_geography": ("高中地理", "Social Science"),
    "middle_school_politics": ("初中政治", "Social Science"),
    "middle_school_geography": ("初中地理", "Social Science"),
    "modern_chinese_history": ("近代史纲要", "Humanities"),
    "ideological_and_moral_cultivation": ("思想道德修养与法律基础", "Humanities"),
    "logic": ("逻辑学", "Humanities"),
    "law": ("法学", "Humanities"),
    "chinese_language_and_literature": ("中国语言文学", "Humanities"),
    "art_studies": ("艺术学", "Humanities"),
    "professional_tour_guide": ("导游资格", "Humanities"),
    "legal_professional": ("法律职业资格", "Humanities"),
    "high_school_chinese": ("高中语文", "Humanities"),
    "high_school_history": ("高中历史", "Humanities"),
    "middle_school_history": ("初中历史", "Humanities"),
    "civil_servant": ("公务员", "Other"),
    "sports_science": ("体育学", "Other"),
    "plant_protection": ("植物保护", "Other"),
    "basic_medicine": ("基础医学", "Other"),
    "clinical_medicine": ("临床医学", "Other"),
    "urban_and_rural_planner": ("注册城乡规划师", "Other"),
    "accountant": ("注册会计师", "Other"),
    "fire_engineer": ("注册消防工程师", "Other"),
    "environmental_impact_assessment_engineer": ("环境影响评价工程师", "Other"),
    "tax_accountant": ("税务师", "Other"),
    "physician": ("医师资格", "Other"),
}

PROMPT_TEMPLATE = (
    "以下是中国关于{subject}的单项选择题，请选出其中的正确答案。你的回答的最后一行应该是这样的格式："
    '"答案：[LETTER]"（不带引号），其中 [LETTER] 是 A、B、C、D 中的一个。\n'
    "问题：{question}\n选项：\n{choices}\n"
)
#: EvalScope puts its examples block (``以下是一些示例问题：\n{fewshot}\n``) and a newline before the prompt.
FEW_SHOT_HEADER = "以下是一些示例问题：\n{fewshot}\n\n"
_LETTERS = "ABCD"


def _options(choices: list[str]) -> str:
    return "\n".join(f"{choice_label(i)}. {text}" for i, text in enumerate(choices))


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The C-Eval release: ``<split>/<subject>_<split>.csv``."""
    return [LocalFile(root / split / f"{subset}_{split}.csv")]


@register_benchmark(
    BenchmarkMeta(
        name="ceval",
        pretty_name="C-Eval",
        description=(
            "C-Eval measures Chinese knowledge and reasoning with four-option exam questions over 52 "
            "subjects, from middle school to professional qualification exams, grouped into STEM, Social "
            "Science, Humanities and Other. Each validation question comes with the subject's 5 dev-split "
            "examples and their explanations, in Chinese; the model ends with '答案：<letter>' and is "
            "scored by exact match of the extracted letter, per subject and category."
        ),
        tags=["knowledge", "multiple-choice", "chinese"],
        paper_url="https://arxiv.org/abs/2305.08322",
        version="1",
        dataset_id="ceval/ceval-exam",
        modelscope_dataset_id="evalscope/ceval",
        homepage="https://cevalbenchmark.com",
        license="CC-BY-NC-SA-4.0",  # hub card of ceval/ceval-exam
        # 1,346 val questions (C-Eval paper, arXiv 2305.08322; 13,948 in all with test and dev); per-subject
        # numbers are not declared.
        sample_total=1346,
        example=BenchmarkExample(
            record={
                "id": 0,
                "question": "使用位填充方法,以01111110为位首flag,数据为011011111111111111110010,"
                "求问传送时要添加几个0____",
                "A": "1",
                "B": "2",
                "C": "3",
                "D": "4",
                "answer": "C",
                "explanation": "",
            },
            subset="computer_network",
            source="val[0] of computer_network, as printed on the ceval/ceval-exam hub card",
        ),
        local_layout=(
            "the upstream release <dir>/val/<subject>_val.csv and <dir>/dev/<subject>_dev.csv (columns id, "
            "question, A, B, C, D, answer, explanation), or hub-style <dir>/<subject>/val.parquet|jsonl"
        ),
        available_subsets=list(SUBJECTS),
        subset_list=list(SUBJECTS),
        train_split="dev",
        eval_split="val",
        few_shot_num=5,
        prompt_template=PROMPT_TEMPLATE,
        metric_list=["acc"],
        extra_params=dict(CHOICE_SCORING_PARAMS),
        extra_params_help=dict(CHOICE_SCORING_HELP),
        category_map={subject: category for subject, (_, category) in SUBJECTS.items()},
    )
)
class CEvalAdapter(MultipleChoiceAdapter):
    """Columns ``A``-``D``, letter ``answer``; the prompt names the subject, examples show explanations."""

    template_fields: ClassVar[frozenset[str]] = frozenset({"subject", "question", "choices", "letters", "fewshot"})
    few_shot_header: ClassVar[str | None] = FEW_SHOT_HEADER

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files)

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        answer = str(record["answer"]).strip().upper()
        if answer not in _LETTERS:
            raise UserError(f"C-Eval {subset} record {record.get('id', index)!r} has answer {answer!r}; expected A-D")
        raw_id = record.get("id")
        return Sample(
            id=f"{subset}-{raw_id if raw_id not in (None, '') else index}",
            input=str(record["question"]),
            choices=[str(record[letter]) for letter in _LETTERS],
            target=answer,
            subset=subset,
            metadata={"explanation": str(record.get("explanation") or "")},
        )

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str) and sample.choices is not None
        values = {
            "subject": SUBJECTS[sample.subset][0] if sample.subset in SUBJECTS else sample.subset,
            "question": sample.input,
            "choices": _options(sample.choices),
            "letters": ",".join(_LETTERS[: len(sample.choices)]),
        }
        if fewshot:
            template = self.meta.few_shot_prompt_template or (FEW_SHOT_HEADER + self.meta.prompt_template)
            return format_template(template, "few_shot_prompt_template", self.meta.name, fewshot=fewshot, **values)
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, **values)

    def sample_to_fewshot(self, sample: Sample) -> str:
        assert sample.choices is not None
        explanation = sample.metadata.get("explanation", "")
        return f"问题：{sample.input}\n选项：\n{_options(sample.choices)}\n解析：{explanation}\n答案：{sample.target}"
