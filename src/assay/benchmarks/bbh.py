"""BBH (BIG-Bench Hard): 27 reasoning tasks, 3-shot chain of thought from the official prompt files.

* **Prompt** (EvalScope 1.x ``bbh_adapter.py``): ``Q: {question}\\nA: Let's think step by step. Put your
  final answer in the format of "So the answer is [ANSWER]" ...``; with few-shot the task's CoT prompt
  comes first, followed by a blank line.
* **Few-shot**: 0 or 3 (default). The 3 worked examples are the task's official file
  ``cot-prompts/<task>.txt`` (suzgunmirac/BIG-Bench-Hard) without its canary line and ``-----``
  separator, which is byte for byte the text EvalScope bundles in ``cot_prompts.py``.
* **Extraction**: the text after the last ``So the answer is ``, up to the end of its line, without a
  trailing period. Multiple-choice tasks (17) then take the letter in ``(X)``, else the first standalone
  capital; free-form tasks (10) take the content of ``**bold**`` when present.
* **Metric**: ``acc``, exact match after trimming and lower-casing both sides; multiple-choice targets
  ``(A)`` are compared as ``A``, free-form targets (Dyck brackets included) as written. Reported per task.
* **Lenient extraction** (opt-in, ``extra_params.answer_extraction: lenient``; scores then differ from
  EvalScope's): also accepts "The answer is", ``\\boxed{}``, ``$...$``, ``\\frac{a}{b}`` and trailing
  units, and compares numeric targets by value (see :mod:`assay.benchmarks._bbh_lenient`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from assay.benchmarks._base import DataSpec, LocalFile, read_local_file
from assay.benchmarks._bbh_lenient import answer_text, lenient_choice, lenient_free_form_correct
from assay.benchmarks._meta import BenchmarkExample, BenchmarkMeta
from assay.benchmarks._qa import QuestionAnswerAdapter
from assay.benchmarks._registry import register_benchmark
from assay.errors import UserError
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: Tasks whose targets are option letters ``(A)``..; EvalScope's ``MULTIPLE_CHOICE_LIST`` order.
MULTIPLE_CHOICE_TASKS: tuple[str, ...] = (
    "temporal_sequences",
    "disambiguation_qa",
    "date_understanding",
    "tracking_shuffled_objects_three_objects",
    "penguins_in_a_table",
    "geometric_shapes",
    "snarks",
    "ruin_names",
    "tracking_shuffled_objects_seven_objects",
    "tracking_shuffled_objects_five_objects",
    "logical_deduction_three_objects",
    "hyperbaton",
    "logical_deduction_five_objects",
    "logical_deduction_seven_objects",
    "movie_recommendation",
    "salient_translation_error_detection",
    "reasoning_about_colored_objects",
)
#: Tasks with free-form targets (numbers, words, bracket sequences); EvalScope's ``FREE_FORM_LIST``.
FREE_FORM_TASKS: tuple[str, ...] = (
    "multistep_arithmetic_two",
    "navigate",
    "dyck_languages",
    "word_sorting",
    "sports_understanding",
    "boolean_expressions",
    "object_counting",
    "formal_fallacies",
    "causal_judgement",
    "web_of_lies",
)
ALL_TASKS: list[str] = [*MULTIPLE_CHOICE_TASKS, *FREE_FORM_TASKS]

PROMPT_TEMPLATE = (
    "Q: {question}\nA: Let's think step by step. Put your final answer in the format of "
    '"So the answer is [ANSWER]" (without quotes and markdown) where [ANSWER] is the answer to the problem.\n'
)
FEW_SHOT_TEMPLATE = "{fewshot}\n\n" + PROMPT_TEMPLATE

#: EvalScope allows exactly these few-shot counts: none, or the task's three official examples.
ALLOWED_FEW_SHOT_NUMS = (0, 3)
#: ``extra_params.answer_extraction`` values: EvalScope's literal reading, or the lenient one.
ANSWER_EXTRACTION_MODES = ("evalscope", "lenient")

#: Commit of suzgunmirac/BIG-Bench-Hard the CoT prompt files are fetched from when no local copy is given.
UPSTREAM_COMMIT = "9ee07bd481feebf959a6b59d61ea57bdcf30964d"
_UPSTREAM_PROMPT_URL = "https://raw.githubusercontent.com/suzgunmirac/BIG-Bench-Hard/{commit}/cot-prompts/{task}.txt"

_ANSWER_MARKER = "So the answer is "
_BRACKETED_LETTER = re.compile(r"\(([A-Z])\)")
_STANDALONE_CAPITAL = re.compile(r"\b([A-Z])\b")
_BOLD = re.compile(r"\*\*(.*?)\*\*")


def _answer_line(reply: str) -> str:
    """Text after the last answer marker (or the whole reply) up to its line end, without a final period."""
    text = reply.strip()
    parts = text.split(_ANSWER_MARKER)
    if len(parts) > 1:
        text = parts[-1].strip()
    text = text.split("\n")[0].strip()
    return text[:-1].strip() if text.endswith(".") else text


def extract_multiple_choice(reply: str) -> str:
    """The option letter of a BBH multiple-choice reply, as EvalScope extracts it.

    Example:
        >>> extract_multiple_choice("Eli is last. So the answer is (B).")
        'B'
    """
    line = _answer_line(reply)
    match = _BRACKETED_LETTER.search(line) or _STANDALONE_CAPITAL.search(line)
    return match.group(1) if match else line


def extract_free_form(reply: str) -> str:
    """The answer of a BBH free-form reply, as EvalScope extracts it (bold content preferred).

    Example:
        >>> extract_free_form("So the answer is **valid**.")
        'valid'
    """
    line = _answer_line(reply)
    match = _BOLD.search(line)
    return match.group(1).strip() if match else line


def cot_prompt_body(text: str) -> str:
    """A ``cot-prompts/<task>.txt`` file without its canary line and ``-----`` separator, stripped."""
    lines = text.split("\n")
    if "-----" in lines:
        lines = lines[lines.index("-----") + 1 :]
    return "\n".join(lines).strip()


#: Examples per task (6,511 in all), in ALL_TASKS order: the upstream bbh/<task>.json files
#: (shared/data/bbh/SOURCE.md); checked against the files by the tests.
_TASK_COUNTS: dict[str, int] = dict(
    zip(
        ALL_TASKS,
        (
            250,
            250,
            250,
            250,
            146,
            250,
            178,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            250,
            187,
            250,
        ),
        strict=True,
    )
)


def upstream_files(root: Path, subset: str, split: str) -> list[LocalFile]:
    """The BIG-Bench-Hard release: ``bbh/<task>.json`` (or ``<task>.json`` when given that folder)."""
    return [LocalFile(root / "bbh" / f"{subset}.json"), LocalFile(root / f"{subset}.json")]


def read_bbh_file(found: LocalFile) -> list[dict[str, Any]]:
    """Upstream task files wrap the records as ``{"canary": ..., "examples": [...]}``; unwrap them."""
    if found.path.suffix == ".json":
        try:
            content = json.loads(found.path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as exc:
            raise UserError(f"{found.path} is not valid JSON ({exc.msg})") from exc
        if isinstance(content, dict) and isinstance(content.get("examples"), list):
            return list(content["examples"])
    return read_local_file(found)


@register_benchmark(
    BenchmarkMeta(
        name="bbh",
        pretty_name="BBH",
        description=(
            "BIG-Bench Hard: 27 challenging BIG-Bench tasks (6,511 questions; 17 multiple-choice, 10 "
            "free-form) on which chain-of-thought prompting helps. By default each question follows the "
            "task's 3 official chain-of-thought examples, the model is asked to end with 'So the answer is "
            "[ANSWER]', and the answer after the last such phrase is compared with the target by exact "
            "match (case-insensitive); accuracy is reported per task."
        ),
        tags=["reasoning"],
        paper_url="https://arxiv.org/abs/2210.09261",
        version="1",
        dataset_id="lukaemon/bbh",
        modelscope_dataset_id="evalscope/bbh",
        homepage="https://github.com/suzgunmirac/BIG-Bench-Hard",
        license="MIT",  # suzgunmirac/BIG-Bench-Hard LICENSE (shared/data/bbh/SOURCE.md)
        sample_counts=_TASK_COUNTS,
        example=BenchmarkExample(
            record={
                "input": "Today, Susan went to the coffee shop. Between what times could they have gone?\nWe know "
                "that:\nSusan woke up at 7am.\nLinda saw Susan driving to the water park from 7am to 11am.\nJohn saw "
                "Susan buying clothes at the mall from 11am to 12pm.\nJessica saw Susan taking photos near the "
                "Eiffel Tower from 12pm to 1pm.\nSteven saw Susan buying lunch at the deli from 1pm to 2pm.\nThomas "
                "saw Susan reading at the library from 2pm to 6pm.\nThe coffee shop was closed after 9pm.\nBetween "
                "what times could Susan have gone to the coffee shop?\nOptions:\n(A) 6pm to 9pm\n(B) 7am to 11am\n"
                "(C) 1pm to 2pm\n(D) 2pm to 6pm",
                "target": "(A)",
            },
            subset="temporal_sequences",
            source="first example of bbh/temporal_sequences.json (suzgunmirac/BIG-Bench-Hard)",
        ),
        local_layout=(
            "the upstream release (suzgunmirac/BIG-Bench-Hard): <dir>/bbh/<task>.json with records under "
            "'examples' ({input, target}) and the few-shot prompts <dir>/cot-prompts/<task>.txt; or hub-style "
            "<dir>/<task>/test.jsonl|parquet"
        ),
        available_subsets=ALL_TASKS,
        subset_list=ALL_TASKS,
        eval_split="test",
        few_shot_num=3,
        prompt_template=PROMPT_TEMPLATE,
        few_shot_prompt_template=FEW_SHOT_TEMPLATE,
        metric_list=["acc"],
        extra_params={"answer_extraction": "evalscope"},
        extra_params_help={
            "answer_extraction": "'evalscope' (default): only the text after 'So the answer is', as EvalScope; "
            "'lenient': also 'The answer is', \\boxed{}, LaTeX fractions and units, numbers compared by value"
        },
    )
)
class BBHAdapter(QuestionAnswerAdapter):
    """BBH tasks: per-task CoT few-shot prompts, task-type-specific answer extraction."""

    data: ClassVar[DataSpec] = DataSpec(upstream=upstream_files, reader=read_bbh_file)
    default_scorers: ClassVar[dict[str, str]] = {"acc": "bbh_match"}
    allowed_few_shot_nums: ClassVar[tuple[int, ...] | None] = ALLOWED_FEW_SHOT_NUMS
    few_shot_examples: ClassVar[str] = "the task's official chain-of-thought examples"

    @classmethod
    def finalize_meta(cls, meta: BenchmarkMeta, given: frozenset[str]) -> BenchmarkMeta:
        mode = meta.extra_params.get("answer_extraction")
        if mode not in ANSWER_EXTRACTION_MODES:
            raise UserError(
                f"extra_params.answer_extraction for bbh must be one of {', '.join(ANSWER_EXTRACTION_MODES)}, "
                f"got {mode!r}"
            )
        return super().finalize_meta(meta, given)

    @property
    def lenient(self) -> bool:
        """Whether ``extra_params.answer_extraction`` is ``lenient``."""
        return self.meta.extra_params.get("answer_extraction") == "lenient"

    def scorer_options(self) -> dict[str, dict[str, Any]]:
        return {"bbh_match": {"lenient": self.lenient}}

    def fewshot_text(self, subset: str) -> str | None:
        if self.meta.few_shot_num == 0:
            return None
        return cot_prompt_body(self._cot_prompt_file(subset))

    def _cot_prompt_file(self, task: str) -> str:
        root = self.source.local_root()
        if root is not None:
            folder = root if root.is_dir() else root.parent
            candidates = [folder / "cot-prompts" / f"{task}.txt", folder.parent / "cot-prompts" / f"{task}.txt"]
            found = next((path for path in candidates if path.is_file()), None)
            if found is None:
                raise UserError(
                    f"no chain-of-thought prompt for bbh task {task!r} (looked for {candidates[0]}); add the "
                    "upstream cot-prompts/ folder beside bbh/, or set few_shot_num to 0 in dataset_args"
                )
            return found.read_text(encoding="utf-8")
        import urllib.request  # only the hub route needs it; keeps the import of this module light

        url = _UPSTREAM_PROMPT_URL.format(commit=UPSTREAM_COMMIT, task=task)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return str(response.read().decode("utf-8"))
        except OSError as exc:
            raise UserError(
                f"cannot download the bbh chain-of-thought prompt {url} ({exc}); give local_path the upstream "
                "release (with cot-prompts/), or set few_shot_num to 0 in dataset_args"
            ) from exc

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        target = str(record["target"]).strip()
        multiple_choice = subset in MULTIPLE_CHOICE_TASKS
        if multiple_choice:
            # '(A)' -> 'A'; free-form targets keep brackets (they are the answer in dyck_languages).
            target = target.replace("(", "").replace(")", "").strip()
        return Sample(
            id=f"{subset}-{index}",
            input=str(record["input"]),
            target=target,
            subset=subset,
            metadata={"task_type": "multiple_choice" if multiple_choice else "free_form"},
        )


@register_scorer("bbh_match")
class BBHScorer(BaseScorer):
    """BBH's answer reading: EvalScope's literal one, or (``lenient``) one that forgives formatting.

    Literal: the option letter after the last "So the answer is" for multiple-choice tasks, the text
    of the answer line for free-form ones, compared case-insensitively. Lenient (opt-in) adds
    "The answer is", ``\\boxed{}``, LaTeX fractions, trailing units and numbers compared by value.
    """

    version = "1"
    supported_metrics = ("acc",)

    def __init__(self, metrics: Sequence[str] | None = None, *, lenient: bool = False) -> None:
        super().__init__(metrics, lenient=lenient)
        self.lenient = lenient

    def settings(self) -> dict[str, Any]:
        if self.lenient:
            return {"extractor": "lenient_answer_is_boxed_units", "compare": "numeric_value_or_strip_lower"}
        return {"extractor": "so_the_answer_is_last_line", "compare": "strip_lower_exact"}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        answer = output.text
        multiple_choice = sample.metadata.get("task_type") == "multiple_choice"
        gold = sample.target if isinstance(sample.target, str) else sample.target[0]
        if self.lenient:
            extracted = lenient_choice(answer) if multiple_choice else answer_text(answer)
            if not extracted:
                return self.zero(explanation="no answer found in the reply")
            if multiple_choice:
                correct = extracted.strip().lower() == gold.strip().lower()
            else:
                correct = lenient_free_form_correct(answer, gold)
            return self.scored(float(correct), extracted=extracted)
        extracted = extract_multiple_choice(answer) if multiple_choice else extract_free_form(answer)
        if not extracted:
            return self.zero(explanation="empty reply")
        return self.scored(float(extracted.strip().lower() == gold.strip().lower()), extracted=extracted)
