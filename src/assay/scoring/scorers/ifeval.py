"""``ifeval``: does a reply follow each verifiable instruction of its prompt (Google's IFEval checks)?

The verdicts come from :mod:`assay.scoring.ifeval` (strict and loose, per instruction), on the
context's CPU threads: language detection and tokenizing take tens of milliseconds on long replies.
Four metrics: ``prompt_level_strict`` / ``prompt_level_loose`` (all instructions of a prompt
followed) and ``inst_level_strict`` / ``inst_level_loose`` (the share of its instructions followed,
weighted by the instruction count so reports average over instructions, as the reference does).
The sample's ``metadata`` holds ``instruction_id_list`` and ``kwargs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from assay.scoring import ifeval
from assay.scoring.scorer import BaseScorer, register_scorer
from assay.types import ModelOutput, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

#: The four metrics, headline first (EvalScope's order).
IFEVAL_METRICS: tuple[str, ...] = ("prompt_level_strict", "inst_level_strict", "prompt_level_loose", "inst_level_loose")


@register_scorer("ifeval")
class IFEvalScorer(BaseScorer):
    """Strict and loose instruction-following verdicts, at prompt and instruction level."""

    version = "1"
    supported_metrics = IFEVAL_METRICS

    def settings(self) -> dict[str, object]:
        return {"checkers": "google-instruction_following_eval", "loose_variants": 8, "langdetect_seed": 0}

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        ids, kwargs = sample.metadata["instruction_id_list"], sample.metadata["kwargs"]
        verdict = await ctx.run_cpu(ifeval.check_instructions, ids, kwargs, output.text)
        values = {
            "prompt_level_strict": float(verdict.prompt_strict),
            "inst_level_strict": sum(verdict.strict) / len(verdict.strict),
            "prompt_level_loose": float(verdict.prompt_loose),
            "inst_level_loose": sum(verdict.loose) / len(verdict.loose),
        }
        followed = ", ".join(
            f"{instruction}={'strict' if strict else 'loose' if loose else 'no'}"
            for instruction, strict, loose in zip(ids, verdict.strict, verdict.loose, strict=True)
        )
        count = float(len(ids))
        return Score(
            value={name: values[name] for name in self.metrics},
            extracted=f"strict {sum(verdict.strict)}/{len(ids)}, loose {sum(verdict.loose)}/{len(ids)}",
            explanation=followed,
            weights={name: count for name in self.metrics if name.startswith("inst_level")},
        )
