"""``judge_strategy``: which benchmarks a judge scores, decided once per benchmark at planning time.

* ``auto`` keeps each benchmark's own scorers: judge benchmarks (Arena-Hard, MT-Bench ...) are
  judged, rule benchmarks are not.
* ``rule`` keeps rule scorers and refuses a benchmark only a judge can score.
* ``llm`` replaces a rule benchmark's scorers by the generic ``llm_judge`` (metric ``acc``).
* ``llm_recall`` wraps a rule benchmark's headline scorer in :class:`~assay.judge.scorers.LLMRecallScorer`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assay.errors import UserError
from assay.judge.config import JudgeConfig
from assay.judge.scorers import LLMJudgeScorer, LLMRecallScorer
from assay.scoring.scorer import Scorer

if TYPE_CHECKING:
    from assay.benchmarks import BenchmarkAdapter


def uses_judge(scorers: list[Scorer]) -> bool:
    """True when any of ``scorers`` asks the run's judge."""
    return any(getattr(scorer, "uses_judge", False) for scorer in scorers)


def apply_strategy(adapter: BenchmarkAdapter, scorers: list[Scorer], judge: JudgeConfig | None) -> list[Scorer]:
    """The scorers ``judge.strategy`` gives this benchmark (unchanged when no judge is configured).

    Raises:
        UserError: ``rule`` on a benchmark that only a judge can score.
    """
    strategy = judge.strategy if judge is not None else "auto"
    name = adapter.meta.name
    if strategy == "auto" or judge is None:
        return scorers
    judged = uses_judge(scorers)
    if strategy == "rule":
        if judged:
            raise UserError(
                f"{name} is scored only by an LLM judge; judge_strategy 'rule' cannot score it "
                "(use 'auto', or drop it from --datasets)"
            )
        return scorers
    if judged:
        return scorers  # llm / llm_recall on a judge benchmark: its own judge protocol
    contract = judge.resolved_contract()
    recall: dict[str, Any] = dict(getattr(adapter, "recall_judge", None) or {})
    if strategy == "llm":
        return [LLMJudgeScorer(["acc"], contract=contract)]
    headline, *rest = scorers
    wrapped = LLMRecallScorer(rule=headline, contract=contract, **recall)
    return [wrapped, *rest]
