"""``bleu`` and ``rouge``: free-text answers against reference answers (general_qa's metrics).

The scores come from :mod:`assay.scoring.text_metrics` (sacrebleu and rouge-score, offline), on the
context's CPU threads. Each metric name stands for a family of report keys, EvalScope's:
``BLEU`` -> ``bleu-1`` .. ``bleu-4``; ``Rouge`` -> ``Rouge-{1,2,L}-{R,P,F}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from assay.scoring.scorer import BaseScorer, register_scorer
from assay.scoring.text_metrics import BLEU_KEYS, ROUGE_KEYS, bleu_scores, rouge_scores
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext


class _FamilyScorer(BaseScorer):
    """One metric that reports a family of keys, computed by one function of (prediction, references)."""

    keys: tuple[str, ...] = ()
    compute: Callable[[str, list[str]], dict[str, float]]

    def value_keys(self) -> list[str]:
        return list(self.keys)

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        references = (sample.target or [""]) if isinstance(sample.target, list) else [sample.target]
        scores = await ctx.run_cpu(type(self).compute, output.text, references)
        found = {key: scores[key] for key in self.keys if key in scores}
        if not found:
            return Score(
                status=SampleStatus.EXCLUDED,
                extracted=output.text,
                reason=f"text_similarity returned no {self.metrics[0]} scores (got {sorted(scores)})",
            )
        return Score(value=found, extracted=output.text)


@register_scorer("bleu")
class BleuScorer(_FamilyScorer):
    """BLEU-1..4 of the answer against its references (``BLEU``)."""

    version = "1"
    supported_metrics = ("BLEU",)
    keys = BLEU_KEYS
    compute = staticmethod(bleu_scores)


@register_scorer("rouge")
class RougeScorer(_FamilyScorer):
    """ROUGE-1/2/L recall, precision and F1 of the answer against its references (``Rouge``)."""

    version = "1"
    supported_metrics = ("Rouge",)
    keys = ROUGE_KEYS
    compute = staticmethod(rouge_scores)
