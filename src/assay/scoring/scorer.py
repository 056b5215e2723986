"""Scorers: the ``Scorer`` protocol, the scorer registry, and the pipeline that runs them on a reply.

A scorer turns one model output into a :class:`~assay.types.Score`. It is a component, not a method
of a benchmark: a benchmark's :class:`~assay.benchmarks.BenchmarkMeta` maps each metric name it
offers to the registered scorer that computes it (``scorers={"acc": "math_equiv"}``), and
``dataset_args.<bench>.metric_list`` picks among those metrics. So one scorer serves every benchmark
that names it, and a new metric is one new file with ``@register_scorer``.

Every scorer has a ``name`` and a ``version``; with its ``settings()`` they enter the scoring
fingerprint, so changing a scorer re-scores cached predictions on resume without new requests.

What every reply goes through first is done once here (:func:`score_output`), not in each scorer:
a failed call is ERRORED, ``<think>`` reasoning is removed, the benchmark's filters run, and a reply
cut by ``max_tokens`` (or inside an open think block) is marked truncated.

Example:
    >>> import asyncio
    >>> from assay.types import ModelOutput, Sample
    >>> @register_scorer("exact_text")
    ... class ExactText(BaseScorer):
    ...     '''1 when the reply equals the target exactly.'''
    ...     version = "1"
    ...     supported_metrics = ("exact",)
    ...     async def score(self, sample, output, ctx):
    ...         return self.scored(float(output.text == sample.target), extracted=output.text)
    >>> scorer = build_scorers({"exact": "exact_text"}, ["exact"])[0]
    >>> asyncio.run(scorer.score(Sample(id="1", input="?", target="yes"), ModelOutput(text="yes"), None)).value
    {'exact': 1.0}
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, runtime_checkable

from assay.errors import UserError
from assay.registry import Registry
from assay.scoring.filters import TextFilter, run_filters, strip_reasoning
from assay.types import ModelOutput, Sample, SampleStatus, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext

logger = logging.getLogger("assay")


@runtime_checkable
class Scorer(Protocol):
    """Judges one output of one sample.

    ``score`` gets the output with ``text`` already cleaned (reasoning removed, filters run) and
    must be pure given its inputs and ``ctx``'s resources: the same reply always gets the same
    verdict. A reply it cannot judge is EXCLUDED with a reason, never scored 0.
    """

    #: Registry name (``math_equiv``).
    name: str
    #: Bumped whenever verdicts may change; part of the scoring fingerprint.
    version: str
    #: The metric names this instance reports (a subset of what its class supports).
    metrics: tuple[str, ...]

    def settings(self) -> dict[str, Any]:
        """Options that change verdicts (part of the scoring fingerprint)."""
        ...

    def value_keys(self) -> list[str]:
        """The ``Score.value`` keys this scorer writes, in report order."""
        ...

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        """The verdict on ``output`` (whose ``text`` is the cleaned answer)."""
        ...


class BaseScorer:
    """Convenience base: metric bookkeeping, options as settings, zero and scored verdicts.

    Subclasses set ``version`` and ``supported_metrics``, take their options as keyword arguments
    of ``__init__`` (stored by :meth:`__init__` in ``self.options``) and implement ``score``.
    """

    name: str = ""
    version: str = "1"
    #: Metric names a benchmark may map to this scorer.
    supported_metrics: ClassVar[tuple[str, ...]] = ("acc",)
    #: Whether scoring costs real CPU (SymPy, running code): with ``--executor ray`` such a plan is
    #: scored on the actors, spread over the cluster, rather than on the driver's cores.
    cpu_heavy: ClassVar[bool] = False

    def __init__(self, metrics: Sequence[str] | None = None, **options: Any) -> None:
        chosen = tuple(metrics) if metrics else self.supported_metrics[:1]
        unsupported = [m for m in chosen if m not in self.supported_metrics]
        if unsupported:
            raise ValueError(
                f"scorer {self.name!r} does not compute {unsupported}; it computes {self.supported_metrics}"
            )
        self.metrics: tuple[str, ...] = chosen
        self.options: dict[str, Any] = dict(options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(metrics={list(self.metrics)}, options={self.options})"

    def settings(self) -> dict[str, Any]:
        """The options given at construction (scorers with derived settings override this)."""
        return dict(self.options)

    def value_keys(self) -> list[str]:
        """Default: one value per metric, under the metric's own name."""
        return list(self.metrics)

    def zero(self, extracted: str | None = None, explanation: str | None = None) -> Score:
        """A scored 0 on every metric (a wrong or unextractable answer)."""
        return Score(value=dict.fromkeys(self.value_keys(), 0.0), extracted=extracted, explanation=explanation)

    def scored(self, value: float, extracted: str | None = None, explanation: str | None = None) -> Score:
        """The same value on every metric of this scorer."""
        return Score(value=dict.fromkeys(self.metrics, value), extracted=extracted, explanation=explanation)

    async def score(self, sample: Sample, output: ModelOutput, ctx: ScoringContext) -> Score:
        raise NotImplementedError


ScorerFactory = Callable[..., Scorer]
S = TypeVar("S", bound=type[BaseScorer])

#: Built-in scorers, imported on first use. Benchmark-specific scorers live beside their benchmark.
_SCORERS: Registry[ScorerFactory] = Registry(
    "scorer",
    builtin={
        "choice": "assay.scoring.scorers.choice",
        "option_loglikelihood": "assay.scoring.scorers.choice",
        "math_equiv": "assay.scoring.scorers.math",
        "bleu": "assay.scoring.scorers.text",
        "rouge": "assay.scoring.scorers.text",
        "ifeval": "assay.scoring.scorers.ifeval",
        "drop_em_f1": "assay.benchmarks.drop",
        "bbh_match": "assay.benchmarks.bbh",
        "trivia_qa_match": "assay.benchmarks.trivia_qa",
        "super_gpqa_choice": "assay.benchmarks.super_gpqa",
        "llm_judge": "assay.judge.scorers",
        "arena_pairwise": "assay.benchmarks._arena",
        "alpaca_pairwise": "assay.benchmarks.alpaca_eval",
        "mt_bench_rating": "assay.benchmarks.mt_bench",
        "simpleqa_grade": "assay.benchmarks._simple_qa",
        "code_exec": "assay.scoring.scorers.code",
        "lcb_exec": "assay.scoring.scorers.lcb",
        "answer_line_exact": "assay.scoring.scorers.answer_line",
        "mmmu_answer": "assay.scoring.scorers.mmmu",
        "qwen_math_equal": "assay.scoring.scorers.qwen_math",
        "anls": "assay.scoring.scorers.vqa",
        "relaxed_acc": "assay.scoring.scorers.vqa",
        "ocr_bench_match": "assay.scoring.scorers.vqa",
    },
)


def register_scorer(name: str) -> Callable[[S], S]:
    """Class decorator registering a scorer under ``name`` (which it also sets as ``cls.name``).

    The class is built as ``cls(metrics, **options)``: the metrics a benchmark maps to it and the
    options its adapter gives (:meth:`assay.benchmarks.BenchmarkAdapter.scorer_options`).
    """

    def decorate(cls: S) -> S:
        cls.name = name
        _SCORERS.register(name)(cls)
        return cls

    return decorate


def get_scorer(name: str) -> ScorerFactory:
    """The scorer class registered as ``name`` (built-ins imported on demand)."""
    return _SCORERS.get(name)


def scorer_names() -> list[str]:
    """Every scorer name known now, built-ins included."""
    return _SCORERS.names()


def build_scorers(
    metric_scorers: Mapping[str, str],
    metric_list: Sequence[str],
    options: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    benchmark: str = "",
) -> list[Scorer]:
    """One scorer per distinct scorer name, in ``metric_list`` order, each with its metrics.

    Args:
        metric_scorers: Metric name -> scorer name (``BenchmarkMeta.scorers``).
        metric_list: The metrics to report (``BenchmarkMeta.metric_list``).
        options: Scorer name -> keyword options for it.
        benchmark: Named in errors.

    Raises:
        UserError: A metric has no scorer, or a scorer refuses its metrics or options.
    """
    grouped: dict[str, list[str]] = {}
    for metric in metric_list:
        if metric not in metric_scorers:
            raise UserError(f"{benchmark}: no scorer computes metric {metric!r}; it offers {', '.join(metric_scorers)}")
        grouped.setdefault(metric_scorers[metric], []).append(metric)
    scorers = []
    for name, metrics in grouped.items():
        factory = get_scorer(name)
        kwargs = dict((options or {}).get(name, {}))
        try:
            scorers.append(factory(metrics, **kwargs))
        except (TypeError, ValueError) as exc:
            raise UserError(f"{benchmark}: cannot build scorer {name!r}: {exc}") from exc
    return scorers


def scorer_identity(scorers: Sequence[Scorer]) -> list[dict[str, Any]]:
    """What of the scorers enters the scoring fingerprint: name, version, metrics and settings."""
    return [
        {"name": s.name, "version": s.version, "metrics": list(s.metrics), "settings": s.settings()} for s in scorers
    ]


async def score_output(
    scorers: Sequence[Scorer],
    filters: Sequence[TextFilter],
    sample: Sample,
    output: ModelOutput,
    ctx: ScoringContext,
) -> Score:
    """The verdict on one output: errors marked, reasoning dropped, filters run, then every scorer.

    Several scorers (general_qa's BLEU and ROUGE) merge into one score: their values side by side,
    the first extracted answer and explanation; if any scorer did not score, that verdict stands.
    """
    if output.error is not None:
        return Score(status=SampleStatus.ERRORED, reason=output.error)
    answer, inside_think = strip_reasoning(output.text)
    answer = run_filters(answer, filters)
    cleaned = output.model_copy(update={"text": answer})
    verdicts = [await scorer.score(sample, cleaned, ctx) for scorer in scorers]
    score = verdicts[0] if len(verdicts) == 1 else _merge(verdicts)
    if inside_think or output.finish_reason == "length":
        note = "generation stopped inside a <think> block" if inside_think else "hit max_tokens"
        score = score.model_copy(update={"truncated": True, "explanation": score.explanation or note})
    return score


async def score_or_error(
    what: str,
    scorers: Sequence[Scorer],
    filters: Sequence[TextFilter],
    sample: Sample,
    output: ModelOutput,
    ctx: ScoringContext,
) -> Score:
    """:func:`score_output`, where a scorer that raises gives an ERRORED verdict, never a lost sample.

    ``what`` names the sample in the log. The driver and the Ray actors (which score CPU-heavy
    benchmarks beside the model) both score here, so a verdict does not depend on where it was reached.
    """
    try:
        return await score_output(scorers, filters, sample, output, ctx)
    except Exception as exc:  # a scorer bug must not cost the other samples
        logger.error("scoring failed for %s:\n%s", what, traceback.format_exc())
        return Score(status=SampleStatus.ERRORED, reason=f"scoring failed: {type(exc).__name__}: {exc}")


def _merge(verdicts: list[Score]) -> Score:
    unscored = next((v for v in verdicts if v.status is not SampleStatus.SCORED), None)
    if unscored is not None:
        return unscored
    values: dict[str, float] = {}
    weights: dict[str, float] = {}
    for verdict in verdicts:
        values.update(verdict.value)
        weights.update(verdict.weights)
    return Score(
        value=values,
        weights=weights,
        extracted=next((v.extracted for v in verdicts if v.extracted is not None), None),
        explanation=next((v.explanation for v in verdicts if v.explanation is not None), None),
        details=next((v.details for v in verdicts if v.details is not None), None),
    )
