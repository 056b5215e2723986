"""Multiple-choice scorers: the option letter a reply wrote, or the option the model found likeliest.

* ``choice`` reads the letter(s) after the last ``ANSWER:`` (or ``答案：``) marker with EvalScope's
  parser (:func:`assay.scoring.extract.extract_choice`).
* ``option_loglikelihood`` needs no text at all: the request was a log-likelihood request, and the
  output holds every option's log-probability; the pick is the highest sum (or per-token mean).

Both report ``acc`` the way EvalScope does (exact match of the picked letters with the gold ones,
case- and space-insensitive); ``choice`` also reports ``multi_choice_acc`` (partial credit for a
subset of the gold options, 0 for any wrong pick).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assay.scoring.extract import extract_choice
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext


def option_metric(metric: str, extracted: str, gold: list[str], *, any_gold: bool = False) -> float:
    """One multiple-choice metric of the picked label(s) ``extracted`` against the gold labels.

    ``acc``: exact match after trimming and lower-casing both sides (EvalScope's ``normalize_text``);
    with ``any_gold`` a single pick matching any gold label counts (MMLU-Redux's re-annotated items
    with several acceptable answers). ``multi_choice_acc``: 0 for any wrong pick, else the share of
    gold options picked.

    Example:
        >>> option_metric("multi_choice_acc", "A", ["A", "C"]), option_metric("acc", "c", ["A", "C"], any_gold=True)
        (0.5, 1.0)
    """
    if metric == "multi_choice_acc":
        picked, correct = set(extracted.upper()), set("".join(gold).upper())
        if not correct or not picked <= correct:
            return 0.0
        return len(picked) / len(correct)
    if any_gold:
        return float(extracted.strip().lower() in {g.strip().lower() for g in gold})
    return float(extracted.strip().lower() == "".join(gold).strip().lower())


def _gold(sample: Sample) -> list[str]:
    return sample.target if isinstance(sample.target, list) else [sample.target]


@register_scorer("choice")
class ChoiceScorer(BaseScorer):
    """The option letter(s) a reply chose, compared with the gold letter(s).

    Args:
        metrics: ``acc`` and/or ``multi_choice_acc``.
        chinese: Read ``答案：X`` markers (the Chinese prompt templates) instead of ``ANSWER: X``.
        multiple: Several letters may be picked (``ANSWER: A, C``).
        any_gold: ``acc`` counts a pick that matches any gold letter.
    """

    version = "1"
    supported_metrics = ("acc", "multi_choice_acc")

    def __init__(
        self,
        metrics: Sequence[str] | None = None,
        *,
        chinese: bool = False,
        multiple: bool = False,
        any_gold: bool = False,
    ) -> None:
        super().__init__(metrics, chinese=chinese, multiple=multiple, any_gold=any_gold)
        self.chinese, self.multiple, self.any_gold = chinese, multiple, any_gold

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        if not sample.choices:
            raise ValueError(f"sample {sample.id!r} has no choices; the 'choice' scorer needs options")
        # A few regexes: cheap enough to run on the event loop.
        extracted = extract_choice(output.text, len(sample.choices), chinese=self.chinese, multiple=self.multiple)
        if extracted is None:
            return self.zero(explanation="no option letter found in the reply")
        gold = _gold(sample)
        values = {metric: option_metric(metric, extracted, gold, any_gold=self.any_gold) for metric in self.metrics}
        return Score(value=values, extracted=extracted)


@register_scorer("option_loglikelihood")
class OptionLoglikelihoodScorer(BaseScorer):
    """The option the model finds likeliest as its reply, from a log-likelihood request's scores.

    Args:
        metrics: ``acc`` and/or ``multi_choice_acc`` (one option is picked, so the latter is 1 or 0
            on a single-answer item).
        normalized: Rank options by log-probability per token instead of the sum (``acc_norm``-style,
            less biased towards short options).
        any_gold: ``acc`` counts a pick that matches any gold letter.
    """

    version = "1"
    supported_metrics = ("acc", "multi_choice_acc")

    def __init__(
        self, metrics: Sequence[str] | None = None, *, normalized: bool = False, any_gold: bool = False
    ) -> None:
        super().__init__(metrics, normalized=normalized, any_gold=any_gold)
        self.normalized, self.any_gold = normalized, any_gold

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        if not output.option_scores:
            return Score(
                status=SampleStatus.EXCLUDED,
                reason="the output has no per-option log-likelihoods (it was not a log-likelihood request)",
            )
        best = max(output.option_scores, key=lambda o: o.logprob_per_token if self.normalized else o.logprob)
        gold = _gold(sample)
        values = {metric: option_metric(metric, best.label, gold, any_gold=self.any_gold) for metric in self.metrics}
        return Score(value=values, extracted=best.label)
