"""Question-answer family: ``{question}`` prompts, and math benchmarks scored by equivalence.

:class:`QuestionAnswerAdapter` fills ``prompt_template`` / ``few_shot_prompt_template`` with
``question`` (and ``fewshot``), as EvalScope's ``DefaultDataAdapter`` does. :class:`MathAdapter`
names EvalScope's math scoring, the ``math_equiv`` scorer: the answer is extracted with Math-Verify
and compared with the gold answer by mathematical equivalence, so ``18.0``, ``18`` and
``\\frac{36}{2}`` all match ``18``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, format_template
from assay.errors import UserError
from assay.judge.scorers import MATH_EQUALITY_TEMPLATE
from assay.types import Sample


class QuestionAnswerAdapter(BenchmarkAdapter):
    """Base for benchmarks whose prompt is a template over the question text."""

    template_fields: ClassVar[frozenset[str]] = frozenset({"question", "fewshot"})
    required_template_fields: ClassVar[frozenset[str]] = frozenset({"question"})

    def format_prompt(self, sample: Sample, fewshot: str | None) -> str:
        assert isinstance(sample.input, str)
        if fewshot:
            template = self.meta.few_shot_prompt_template
            if template is None:
                raise UserError(
                    f"{self.meta.name} has no few_shot_prompt_template to place examples in; give one with a "
                    f"{{fewshot}} placeholder, or set few_shot_num to 0 in dataset_args"
                )
            return format_template(
                template, "few_shot_prompt_template", self.meta.name, fewshot=fewshot, question=sample.input
            )
        return format_template(self.meta.prompt_template, "prompt_template", self.meta.name, question=sample.input)


class MathAdapter(QuestionAnswerAdapter):
    """Math word problems, scored by the ``math_equiv`` scorer (Math-Verify extraction and equivalence).

    A sample is EXCLUDED (not scored 0) when extraction or the equivalence check runs out of time,
    so a slow SymPy call never counts as a wrong answer (see :mod:`assay.scoring.scorers.math`).
    """

    default_scorers: ClassVar[dict[str, str]] = {"acc": "math_equiv"}
    #: ``judge_strategy: llm_recall``: simple-evals' equivalence check of the extracted answer.
    recall_judge: ClassVar[dict[str, Any] | None] = {"prompt_template": MATH_EQUALITY_TEMPLATE, "parse": "yes_no"}
