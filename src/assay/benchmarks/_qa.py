"""Question-answer family: ``{question}`` prompts, and math scoring by equivalence.

:class:`QuestionAnswerAdapter` fills ``prompt_template`` / ``few_shot_prompt_template`` with
``question`` (and ``fewshot``), as EvalScope's ``DefaultDataAdapter`` does. :class:`MathAdapter`
adds EvalScope's math scoring: the answer is extracted with Math-Verify
(:func:`assay.scoring.extract.extract_math_answer`) and compared with the gold answer by
mathematical equivalence (``assay.scoring.math_equiv``), so ``18.0``, ``18`` and ``\\frac{36}{2}``
all match ``18``.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from assay.benchmarks._base import BenchmarkAdapter, format_template
from assay.errors import UserError
from assay.scoring.extract import extract_math_answer
from assay.types import Sample, SampleStatus, Score

#: Longest time answer extraction may take before the sample is excluded, in seconds. EvalScope
#: gives Math-Verify 30 s per call before it excludes a sample; so do we.
MATH_EXTRACT_TIMEOUT_S = 30.0


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
    """Math word problems: extract the final answer, then check mathematical equivalence.

    A sample is EXCLUDED (not scored 0) when extraction or the equivalence check runs out of time,
    so a slow SymPy call never counts as a wrong answer.
    """

    supported_metrics: ClassVar[tuple[str, ...]] = ("acc",)

    def scoring_settings(self) -> dict[str, Any]:
        # "gold_checked_first": an unparseable gold excludes the sample even when the reply has no
        # answer (earlier reviews scored those 0); part of the fingerprint so they are re-scored.
        return {
            "extractor": "math_verify_first_match",
            "compare": "math_equiv",
            "unparseable_gold": "gold_checked_first",
        }

    async def score_answer(self, answer: str, sample: Sample) -> Score:
        try:
            # SymPy work off the event loop; a pathological input can only stall its own thread.
            extracted = await asyncio.wait_for(
                asyncio.to_thread(extract_math_answer, answer), timeout=MATH_EXTRACT_TIMEOUT_S
            )
        except asyncio.TimeoutError:
            return Score(
                status=SampleStatus.EXCLUDED,
                reason=f"math answer extraction took longer than {MATH_EXTRACT_TIMEOUT_S:g} s",
            )
        from assay.scoring.math_equiv import MathReferenceError, MathVerifyError, get_math_verifier  # SymPy, pool

        gold = sample.target if isinstance(sample.target, str) else sample.target[0]
        if extracted is None:
            # An item whose gold does not parse is excluded whatever the reply, so the verdict must
            # not depend on whether the reply happened to contain an answer: check the gold alone.
            try:
                await get_math_verifier().equal(gold, gold)
            except MathReferenceError as exc:
                return Score(status=SampleStatus.EXCLUDED, reason=str(exc))
            except MathVerifyError:
                pass  # the gold parsed; Math-Verify's other failures say nothing about it
            return self.zero_score(explanation="no final answer found in the reply")
        try:
            equal = await get_math_verifier().equal(extracted, gold)
        except MathVerifyError as exc:  # unparseable gold, or Math-Verify failed: unscorable, not wrong
            return Score(status=SampleStatus.EXCLUDED, extracted=extracted, reason=str(exc))
        if equal is None:
            return Score(
                status=SampleStatus.EXCLUDED,
                extracted=extracted,
                reason=f"math-verify timed out comparing {extracted!r} with {gold!r}",
            )
        return Score(value=dict.fromkeys(self.meta.metric_list, float(equal)), extracted=extracted)
