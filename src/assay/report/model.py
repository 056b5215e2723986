"""The report of one benchmark run: EvalScope's shape, plus counts and standard errors.

EvalScope's ``reports/<model>/<bench>.json`` nests metric -> categories -> subsets with ``score``
and ``num``; dashboards read that, so we keep it. We add what an honest report needs: a standard
error next to every score, how many samples were scored / excluded / errored, how often no answer
could be extracted, and timing.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer


class _OptionalFields(BaseModel):
    """Leaves the listed fields out of the JSON while they are None.

    Fields added after reports were first published (confidence intervals, judge cost) appear only
    where they mean something, so every earlier report reads the same byte for byte.
    """

    _omit_when_none: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _drop_unset_extras(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for key in self._omit_when_none:
            if data.get(key, 0) is None:
                del data[key]
        return data


class SubsetScore(_OptionalFields):
    """One metric on one subset."""

    _omit_when_none: ClassVar[frozenset[str]] = frozenset({"ci_low", "ci_high"})

    name: str
    num: int = Field(description="Samples that entered the score.")
    score: float
    stderr: float = Field(description="Standard error of the score (0 when num < 2).")
    ci_low: float | None = Field(None, description="Lower bound of the confidence interval, where one is computed.")
    ci_high: float | None = Field(None, description="Upper bound of the confidence interval, where one is computed.")


class CategoryScore(_OptionalFields):
    """One metric on a group of subsets (e.g. MMLU's STEM)."""

    _omit_when_none: ClassVar[frozenset[str]] = frozenset({"ci_low", "ci_high"})

    name: list[str]
    num: int
    score: float = Field(description="Micro average: every sample weighs the same.")
    macro_score: float = Field(description="Mean of the subset scores.")
    stderr: float
    subsets: list[SubsetScore]
    ci_low: float | None = None
    ci_high: float | None = None


class MetricScore(_OptionalFields):
    """One metric (e.g. ``mean_acc``, ``pass@4``) over the whole benchmark.

    Most metrics are means over samples. A *corpus* metric is computed from all the benchmark's
    reviews at once (Arena-Hard's Bradley-Terry win rate, AlpacaEval's length-controlled win rate,
    SimpleQA's F-score); its ``ci_low`` / ``ci_high`` are set where the method gives an interval.
    """

    _omit_when_none: ClassVar[frozenset[str]] = frozenset({"ci_low", "ci_high", "ci_level", "method"})

    name: str
    num: int
    score: float = Field(description="Micro average over all samples.")
    macro_score: float = Field(description="Mean of the subset scores.")
    stderr: float
    categories: list[CategoryScore]
    ci_low: float | None = Field(None, description="Lower bound of the confidence interval.")
    ci_high: float | None = Field(None, description="Upper bound of the confidence interval.")
    ci_level: float | None = Field(None, description="Coverage of [ci_low, ci_high], e.g. 0.90.")
    method: str | None = Field(None, description="How a corpus metric is computed, in a few words.")


class Counts(_OptionalFields):
    """How every (sample, repeat) ended; nothing is hidden inside a mean."""

    _omit_when_none: ClassVar[frozenset[str]] = frozenset({"execution_outcomes"})

    total: int = 0
    scored: int = 0
    excluded: int = 0
    errored: int = 0
    extraction_failures: int = Field(0, description="Scored answers from which no answer could be extracted.")
    truncated: int = Field(0, description="Answers cut by max_tokens or left inside an open <think> block.")
    excluded_reasons: dict[str, int] = Field(default_factory=dict)
    error_reasons: dict[str, int] = Field(default_factory=dict)
    execution_outcomes: dict[str, int] | None = Field(
        None,
        description="Code benchmarks: how the executed programs ended (passed, failed, error: NameError, "
        "syntax_error, timeout, memory_limit, killed), counted over scored samples.",
    )

    @property
    def extraction_failure_rate(self) -> float:
        """Share of scored answers with nothing extractable (0 when nothing was scored)."""
        return self.extraction_failures / self.scored if self.scored else 0.0


class Timing(BaseModel):
    """Where the time went; all durations in seconds."""

    wall_s: float = 0.0
    requests: int = Field(0, description="Model calls made in this run (cached ones excluded).")
    samples_per_s: float = Field(0.0, description="Finished (sample, repeat) pairs per second of wall time.")
    mean_latency_s: float = 0.0
    mean_ttft_s: float | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


class JudgeReport(BaseModel):
    """What the LLM judge did for this benchmark in this run, apart from the evaluated model's cost."""

    judges: list[str] = Field(description="Judge model names, in config order.")
    strategy: str
    requests: int = Field(0, description="Judge requests sent in this run (cache hits excluded).")
    cached: int = Field(0, description="Judge replies taken from the judge cache instead of asked again.")
    transport_errors: int = Field(0, description="Judge requests that failed after their retries.")
    parse_errors: int = Field(0, description="Judge replies with no readable verdict.")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    mean_latency_s: float = 0.0
    wall_s: float = Field(0.0, description="From the first judge request to the last reply of this benchmark.")
    requests_per_s: float = Field(0.0, description="Judge requests per second of judging wall time.")
    agreement: float | None = Field(
        None, description="Share of samples on which every judge of a panel gave the same verdict."
    )


class DataSource(BaseModel):
    """Where one (subset, split) of the data was read, so a score can be traced to exact data."""

    subset: str
    split: str
    location: str = Field(description="Local file path, or the hub dataset id.")
    hub: str | None = Field(default=None, description="'huggingface' / 'modelscope'; None for a local file.")
    revision: str | None = Field(default=None, description="Revision asked for; None = the hub's default branch.")
    resolved_revision: str | None = Field(default=None, description="Commit actually read, where the hub says.")


class Report(_OptionalFields):
    """Everything ``reports/<model>/<bench>.json`` holds."""

    _omit_when_none: ClassVar[frozenset[str]] = frozenset({"judge"})

    name: str = Field(description="'<model_id>@<benchmark>'.")
    dataset_name: str
    dataset_pretty_name: str
    model_name: str
    benchmark_version: str
    dataset_id: str | None = None
    dataset_revision: str | None = None
    data_sources: list[DataSource] = Field(
        default_factory=list, description="Every split read (evaluated and few-shot), with its exact origin."
    )
    aggregation: str
    repeats: int
    score: float = Field(description="The headline score: the first metric's micro average.")
    metrics: list[MetricScore]
    counts: Counts
    extraction_failure_rate: float
    timing: Timing
    judge: JudgeReport | None = Field(None, description="The LLM judge's work and cost (judged benchmarks only).")
