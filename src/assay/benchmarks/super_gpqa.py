"""SuperGPQA: 26,529 graduate-level questions over 72 fields, most with ten options.

As in EvalScope (``evalscope/benchmarks/super_gpqa/super_gpqa_adapter.py``): the ``train`` split (the
only one) of ``m-a-p/SuperGPQA``, one subset per ``field`` (rows of the single configuration grouped
by that column), the field -> discipline map below for grouped report rows, zero-shot, prompt
``MultipleChoiceTemplate.SINGLE_ANSWER_COT`` with ``question``, ``options`` and ``answer_letter``.

Extraction is SuperGPQA's own (EvalScope's ``super_gpqa/utils.py``), not the shared ``ANSWER: X``
parser: three patterns for a letter A-J ("The answer is (C)", "Answer: $\\boxed{B}$", a bare "A."),
tried on the last line and then on the whole reply, case-insensitively; if none matches, the same
three shapes with an option's exact text instead of a letter. The letter is scored by exact match
(``acc``).

``few_shot_num=5`` puts EvalScope's fixed five worked examples (``super_gpqa/prompt.py``
``FEW_SHOT_SAMPLES``, shipped byte for byte in ``data/super_gpqa_5shot.txt``) after its
``FEW_SHOT_TEMPLATE`` header, and, as EvalScope does then, extraction first reads only the reply
before any "Question:" it goes on to write, then the whole reply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile
from assay.benchmarks._commonsense_mcq_base import commonsense_meta
from assay.benchmarks._mcq import SINGLE_ANSWER_TEMPLATE_COT, MultipleChoiceAdapter
from assay.benchmarks._meta import BenchmarkExample
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.extract import choice_label
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

FIVE_SHOT_FILE = "super_gpqa_5shot.txt"

#: Field (the subset) -> discipline (its report category), EvalScope's ``SUBSET_MAPPING``.
FIELD_DISCIPLINES: dict[str, str] = {
    "Electronic Science and Technology": "Engineering",
    "Philosophy": "Philosophy",
    "Traditional Chinese Medicine": "Medicine",
    "Applied Economics": "Economics",
    "Mathematics": "Science",
    "Physics": "Science",
    "Clinical Medicine": "Medicine",
    "Computer Science and Technology": "Engineering",
    "Information and Communication Engineering": "Engineering",
    "Control Science and Engineering": "Engineering",
    "Theoretical Economics": "Economics",
    "Law": "Law",
    "History": "History",
    "Basic Medicine": "Medicine",
    "Education": "Education",
    "Materials Science and Engineering": "Engineering",
    "Electrical Engineering": "Engineering",
    "Systems Science": "Science",
    "Power Engineering and Engineering Thermophysics": "Engineering",
    "Military Science": "Military Science",
    "Biology": "Science",
    "Business Administration": "Management",
    "Language and Literature": "Literature and Arts",
    "Public Health and Preventive Medicine": "Medicine",
    "Political Science": "Law",
    "Chemistry": "Science",
    "Hydraulic Engineering": "Engineering",
    "Chemical Engineering and Technology": "Engineering",
    "Pharmacy": "Medicine",
    "Geography": "Science",
    "Art Studies": "Literature and Arts",
    "Architecture": "Engineering",
    "Forestry Engineering": "Engineering",
    "Public Administration": "Management",
    "Oceanography": "Science",
    "Journalism and Communication": "Literature and Arts",
    "Nuclear Science and Technology": "Engineering",
    "Weapon Science and Technology": "Engineering",
    "Naval Architecture and Ocean Engineering": "Engineering",
    "Environmental Science and Engineering": "Engineering",
    "Transportation Engineering": "Engineering",
    "Geology": "Science",
    "Physical Oceanography": "Science",
    "Musicology": "Literature and Arts",
    "Stomatology": "Medicine",
    "Aquaculture": "Agronomy",
    "Mechanical Engineering": "Engineering",
    "Aeronautical and Astronautical Science and Technology": "Engineering",
    "Civil Engineering": "Engineering",
    "Mechanics": "Engineering",
    "Petroleum and Natural Gas Engineering": "Engineering",
    "Sociology": "Sociology",
    "Food Science and Engineering": "Engineering",
    "Agricultural Engineering": "Engineering",
    "Surveying and Mapping Science and Technology": "Engineering",
    "Metallurgical Engineering": "Engineering",
    "Library, Information and Archival Management": "Management",
    "Mining Engineering": "Engineering",
    "Astronomy": "Science",
    "Geological Resources and Geological Engineering": "Engineering",
    "Atmospheric Science": "Science",
    "Optical Engineering": "Engineering",
    "Animal Husbandry": "Agronomy",
    "Geophysics": "Science",
    "Crop Science": "Agronomy",
    "Management Science and Engineering": "Management",
    "Psychology": "Education",
    "Forestry": "Agronomy",
    "Textile Science and Engineering": "Engineering",
    "Veterinary Medicine": "Agronomy",
    "Instrument Science and Technology": "Engineering",
    "Physical Education": "Education",
}

# SuperGPQA's answer patterns: a head, optional decoration (``**``, ``$``, ``(``, ``\boxed{`` ...),
# the answer, closing decoration and a delimiter. Composed here from the pieces the upstream
# patterns share; the heads differ slightly between letters and option texts, as upstream.
_OPEN = r"(?:[\*\$\{(\[\\(]*?(?:(?:\\boxed|\\mathbf|\\mathrm|\\text)\{)?)*\s*"
_CLOSE = r"(?:\\?\}?\$?\)?\]?\}?)*(?:[\s:\.\*)]|$)"
_LETTER_HEADS = (
    r"[Tt]he\s+(?:\w+\s+)?(?:answer|option)(?:\w+\s+)?\s+is?:?\s*",
    r"(?i:Answer)[\*\s]*:\s*",
    r"^[^\w\r\n]*",
)
_TEXT_HEADS = (
    r"[Tt]he\s+(?:\w+\s+)?(?:answer|option)(?:\w+\s+)?\s+is:?\s*",
    r"(?i:Answer)\s*",
    r"^[^\w\r\n]*",
)
_LETTER_PATTERNS = tuple(re.compile(f"{head}{_OPEN}([ABCDEFGHIJ]){_CLOSE}", re.IGNORECASE) for head in _LETTER_HEADS)


def _first_match(patterns: tuple[re.Pattern[str], ...], text: str) -> str | None:
    """Group 1 of the first pattern matching the last line, else of the first matching the whole text."""
    text = text.rstrip()
    for target in (text.split("\n")[-1], text):
        for pattern in patterns:
            match = pattern.search(target)
            if match:
                return match.group(1)
    return None


def extract_super_gpqa_answer(reply: str, options: list[str]) -> str | None:
    """The option letter a reply gives, by SuperGPQA's rules; None when it names none.

    Example:
        >>> extract_super_gpqa_answer("so the answer is (c).", ["1", "2", "3"])
        'C'
        >>> extract_super_gpqa_answer("The answer is 2", ["x", "2"])
        'B'
    """
    letter = _first_match(_LETTER_PATTERNS, reply)
    if letter is not None:
        return letter.upper()
    alternatives = "|".join(re.escape(option) for option in options)
    text_patterns = tuple(re.compile(f"{head}{_OPEN}({alternatives}){_CLOSE}") for head in _TEXT_HEADS)
    text = _first_match(text_patterns, reply)
    # An empty option text can match; upstream treats that as no answer.
    return choice_label(options.index(text)) if text else None


@register_benchmark(
    commonsense_meta(
        name="super_gpqa",
        pretty_name="SuperGPQA",
        description=(
            "SuperGPQA tests graduate-level knowledge and reasoning with 26,529 questions over 285 "
            "disciplines grouped into 72 fields (the subsets) and 13 areas, most with ten options. Asked "
            "zero-shot with a step-by-step instruction ending in 'ANSWER: <letter>'; the answer letter (or "
            "the option's text) is read with SuperGPQA's own patterns and scored by exact match."
        ),
        tags=["knowledge", "multiple-choice"],
        paper_url="https://arxiv.org/abs/2502.14739",
        dataset_id="m-a-p/SuperGPQA",
        homepage="https://huggingface.co/datasets/m-a-p/SuperGPQA",
        license="ODC-BY",  # 'License' section of the m-a-p/SuperGPQA hub card
        # 26,529 questions (SuperGPQA paper, arXiv 2502.14739); per-field numbers are not declared.
        sample_total=26529,
        example=BenchmarkExample(
            record={
                "uuid": "u2",
                "question": "Which dynasty followed the Sui?",
                "options": ["Han", "Tang", "Song", "Ming"],
                "answer_letter": "B",
                "field": "History",
                "discipline": "History",
            },
            subset="History",
            source="illustrative record in the hub schema (tests/benchmarks/fixtures.py), not from the dataset",
        ),
        local_layout=(
            "the upstream <dir>/SuperGPQA-all.jsonl, or hub-style <dir>/train.jsonl|parquet (or "
            "<dir>/default/train.*), all fields in one file, with uuid, question, options, answer_letter, field"
        ),
        available_subsets=list(FIELD_DISCIPLINES),
        subset_list=list(FIELD_DISCIPLINES),
        eval_split="train",
        prompt_template=SINGLE_ANSWER_TEMPLATE_COT,
        category_map=dict(FIELD_DISCIPLINES),
    )
)
class SuperGPQAAdapter(MultipleChoiceAdapter):
    """One file (hub or local) holds every field; each subset takes the rows of its ``field``."""

    data: ClassVar[DataSpec] = DataSpec(
        upstream=lambda root, subset, split: [LocalFile(root / "SuperGPQA-all.jsonl")], subset_key="field"
    )
    default_scorers: ClassVar[dict[str, str]] = {"acc": "super_gpqa_choice"}

    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = (0, 5)
    few_shot_examples: ClassVar[str] = "EvalScope's fixed five worked examples"
    fixed_fewshot_file: ClassVar[str | None] = FIVE_SHOT_FILE

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {**super().scorer_options(), "super_gpqa_choice": {"few_shot": bool(self.meta.few_shot_num)}}

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices = [str(option) for option in record["options"]]
        answer = str(record["answer_letter"]).strip().upper()
        if not (len(answer) == 1 and answer.isalpha() and ord(answer) - ord("A") < len(choices)):
            raise UserError(f"SuperGPQA record {record.get('uuid', index)!r} has answer_letter {answer!r}")
        raw_id = record.get("uuid")
        return Sample(
            id=str(raw_id) if raw_id not in (None, "") else f"{subset}-{index}",
            input=str(record["question"]),
            choices=choices,
            target=answer,
            subset=subset,
            metadata={"discipline": record.get("discipline", "")},
        )


@register_scorer("super_gpqa_choice")
class SuperGPQAScorer(BaseScorer):
    """SuperGPQA's reading of a reply: an option letter, or an option's text (EvalScope's patterns).

    Args:
        metrics: ``acc``.
        few_shot: Read the reply before any invented next ``Question:`` first (5-shot replies often
            go on to write one).
    """

    version = "1"
    supported_metrics = ("acc",)

    def __init__(self, metrics: Sequence[str] | None = None, *, few_shot: bool = False) -> None:
        super().__init__(metrics, few_shot=few_shot)
        self.few_shot = few_shot

    def settings(self) -> dict[str, Any]:
        return {"chinese": False, "multiple_correct": False, "few_shot_extraction": self.few_shot}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        assert sample.choices is not None and isinstance(sample.target, str)
        choices, answer = list(sample.choices), output.text
        extracted = None
        if self.few_shot:
            # A few-shot reply often goes on to invent the next "Question:"; its own answer comes first.
            extracted = extract_super_gpqa_answer(answer.split("Question:")[0], choices)
        extracted = extracted or extract_super_gpqa_answer(answer, choices)
        if extracted is None:
            return self.zero(explanation="no option letter or option text found in the reply")
        return self.scored(float(extracted == sample.target.upper()), extracted=extracted)
