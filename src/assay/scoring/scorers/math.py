"""``math_equiv``: the final answer of a math reply, judged equal to the gold one by Math-Verify.

EvalScope's math scoring: the answer is extracted with Math-Verify
(:func:`assay.scoring.extract.extract_math_answer`: ``\\boxed{}`` first, then other LaTeX, then plain
expressions) and compared by mathematical equivalence (:mod:`assay.scoring.math_equiv`), so ``18.0``,
``18`` and ``\\frac{36}{2}`` all match ``18``. Both steps run SymPy, so both run on the run's
time-limited worker pool, except where the verdict is known without it (a lone
``\\boxed{<number>}`` and plain-number comparisons, the usual GSM8K case). A runaway call is killed,
and the sample is EXCLUDED (not scored 0) when extraction or the check runs out of time, when the
gold answer does not parse, or when Math-Verify fails. With ``integer_only`` (AIME) only an integer
literal counts as an answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, ClassVar

from assay.scoring.extract import boxed_plain_number, extract_math_answer
from assay.scoring.math_equiv import MathReferenceError, MathVerifyError
from assay.scoring.pool import TimedOut
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext


def is_integer_literal(text: str) -> bool:
    """``"204"``, ``"1,000"`` and ``"33.0"`` are integers; ``"\\frac{1}{2}"`` and ``"x"`` are not.

    Example:
        >>> is_integer_literal("1,000"), is_integer_literal("33.0"), is_integer_literal("x")
        (True, True, False)
    """
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        return False
    return value.is_finite() and value == value.to_integral_value()


@register_scorer("math_equiv")
class MathEquivScorer(BaseScorer):
    """Extract the final answer, then check mathematical equivalence with the gold answer.

    Args:
        metrics: ``acc``.
        integer_only: Only an integer literal is an answer (AIME): ``\\frac{408}{2}`` is wrong for
            ``204``, and an item whose gold is not an integer is excluded.
    """

    # "gold_checked_first": an unparseable gold excludes the sample even when the reply has no
    # answer; "extract_in_pool": extraction is killed on overrun instead of abandoned in a thread.
    version = "2"
    #: CPU-heavy: with ``--executor ray`` the actors score it, beside the model, instead of the driver.
    cpu_heavy: ClassVar[bool] = True
    supported_metrics = ("acc",)

    def __init__(self, metrics: Sequence[str] | None = None, *, integer_only: bool = False) -> None:
        super().__init__(metrics, integer_only=integer_only)
        self.integer_only = integer_only

    def settings(self) -> dict[str, object]:
        return {
            **self.options,
            "extractor": "math_verify_first_match",
            "compare": "math_equiv",
            "unparseable_gold": "gold_checked_first",
        }

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        gold = sample.target if isinstance(sample.target, str) else sample.target[0]
        if self.integer_only and not is_integer_literal(gold):
            return Score(status=SampleStatus.EXCLUDED, reason=f"gold answer {gold!r} is not an integer")
        score = await self._equivalence(output.text, gold, ctx)
        extracted = score.extracted
        scored = score.status is SampleStatus.SCORED and extracted is not None
        if self.integer_only and scored and not is_integer_literal(extracted or ""):
            return self.zero(extracted, explanation="the answer must be an integer literal")
        return score

    async def _equivalence(self, answer: str, gold: str, ctx: ScoringContext) -> Score:
        extracted = boxed_plain_number(answer)
        if extracted is None:
            extracted = await ctx.pool.call(extract_math_answer, answer, timeout_s=ctx.extract_timeout_s)
        if isinstance(extracted, TimedOut):
            return Score(
                status=SampleStatus.EXCLUDED,
                reason=f"math answer extraction took longer than {extracted.seconds:g} s",
            )
        if extracted is None:
            # An item whose gold does not parse is excluded whatever the reply, so the verdict must
            # not depend on whether the reply happened to contain an answer: check the gold alone.
            try:
                await ctx.math.equal(gold, gold)
            except MathReferenceError as exc:
                return Score(status=SampleStatus.EXCLUDED, reason=str(exc))
            except MathVerifyError:
                pass  # the gold parsed; Math-Verify's other failures say nothing about it
            return self.zero(explanation="no final answer found in the reply")
        try:
            equal = await ctx.math.equal(extracted, gold)
        except MathVerifyError as exc:  # unparseable gold, or Math-Verify failed: unscorable, not wrong
            return Score(status=SampleStatus.EXCLUDED, extracted=extracted, reason=str(exc))
        if equal is None:
            return Score(
                status=SampleStatus.EXCLUDED,
                extracted=extracted,
                reason=f"math-verify timed out comparing {extracted!r} with {gold!r}",
            )
        return self.scored(float(equal), extracted=extracted)
