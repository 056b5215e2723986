"""Commonsense/reading MCQ family: benchmarks whose hub records hold a question, options and a key.

Most of these benchmarks differ from each other only in column names and in how the answer key
is written (a letter, a 0- or 1-based position, a boolean). :class:`ColumnsMCQAdapter` reads such
records from class attributes, so a benchmark module is its :class:`BenchmarkMeta` plus a few
column names; :func:`commonsense_meta` fills the meta fields these benchmarks share (EvalScope's
``SINGLE_ANSWER`` prompt, ``acc``, choice-scoring options).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from assay.benchmarks._mcq import (
    CHOICE_SCORING_HELP,
    CHOICE_SCORING_PARAMS,
    SINGLE_ANSWER_TEMPLATE,
    MultipleChoiceAdapter,
)
from assay.benchmarks._meta import BenchmarkMeta
from assay.errors import UserError
from assay.scoring.extract import choice_index, choice_label
from assay.types import Sample

#: How a record writes its answer key: ``letter`` (``"B"``), ``index0`` (``1``), ``index1``
#: (``"2"``, Winogrande's option number) or ``yes_no`` (a boolean: True is option A).
AnswerFormat = Literal["letter", "index0", "index1", "yes_no"]


def commonsense_meta(**fields: Any) -> BenchmarkMeta:
    """A meta with this family's defaults; ``fields`` add to or override them.

    Defaults: version ``1``, EvalScope's ``SINGLE_ANSWER`` prompt, zero-shot, metric ``acc``, the
    ``choice_scoring`` option of every multiple-choice benchmark, one ``default`` subset.
    """
    defaults: dict[str, Any] = {
        "version": "1",
        "tags": ["reasoning", "multiple-choice"],
        "available_subsets": ["default"],
        "subset_list": ["default"],
        "few_shot_num": 0,
        "prompt_template": SINGLE_ANSWER_TEMPLATE,
        "metric_list": ["acc"],
        "extra_params": dict(CHOICE_SCORING_PARAMS),
        "extra_params_help": dict(CHOICE_SCORING_HELP),
    }
    return BenchmarkMeta(**{**defaults, **fields})


def answer_letter(value: Any, option_count: int, answer_format: AnswerFormat) -> str:
    """The option letter an answer key stands for.

    Raises:
        ValueError: The key is not a valid option for ``option_count`` options in that format.

    Example:
        >>> answer_letter("2", 2, "index1"), answer_letter(0, 4, "index0"), answer_letter(False, 2, "yes_no")
        ('B', 'A', 'B')
    """
    if answer_format == "yes_no":
        if not isinstance(value, bool):
            raise ValueError(f"expected a boolean answer, got {value!r}")
        return "A" if value else "B"
    text = str(value).strip()
    if answer_format == "letter":
        index = choice_index(text) if text.isalpha() and len(text) == 1 else -1
    elif text.lstrip("-").isdigit():
        index = int(text) - (1 if answer_format == "index1" else 0)
    else:
        index = -1
    if not 0 <= index < option_count:
        raise ValueError(f"answer {value!r} is not one of {option_count} options ({answer_format})")
    return choice_label(index)


class ColumnsMCQAdapter(MultipleChoiceAdapter):
    """MCQ records read by column name; subclasses set the class attributes below.

    Override :meth:`question_text` when the question is composed of several columns (a passage and
    a question).
    """

    #: Column with the question text.
    question_column: ClassVar[str] = "question"
    #: Either one column holding the list of options, or several columns holding one option each.
    choices_columns: ClassVar[tuple[str, ...]] = ("choices",)
    #: Column with the answer key, and how the key is written.
    answer_column: ClassVar[str] = "answer"
    answer_format: ClassVar[AnswerFormat] = "letter"
    #: Column with a stable record id; None, or a record without it, falls back to ``<subset>-<index>``.
    id_column: ClassVar[str | None] = None
    #: Options when the record has none of its own (BoolQ's Yes/No).
    fixed_choices: ClassVar[tuple[str, ...] | None] = None

    def question_text(self, record: Mapping[str, Any]) -> str:
        """The question as shown to the model (before the template)."""
        return str(record[self.question_column])

    def options(self, record: Mapping[str, Any]) -> list[str]:
        """Option texts in order."""
        if self.fixed_choices is not None:
            return list(self.fixed_choices)
        if len(self.choices_columns) == 1:
            return [str(option) for option in record[self.choices_columns[0]]]
        return [str(record[column]) for column in self.choices_columns]

    def record_to_sample(self, record: Mapping[str, Any], *, subset: str, index: int) -> Sample:
        choices = self.options(record)
        raw_id = record.get(self.id_column) if self.id_column else None
        sample_id = str(raw_id) if raw_id not in (None, "") else f"{subset}-{index}"
        try:
            target = answer_letter(record[self.answer_column], len(choices), self.answer_format)
        except ValueError as exc:
            raise UserError(f"{self.meta.name} {subset} record {sample_id!r}: {exc}") from exc
        return Sample(
            id=sample_id,
            input=self.question_text(record),
            choices=choices,
            target=target,
            subset=subset,
        )
