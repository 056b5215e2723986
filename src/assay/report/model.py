"""The report of one benchmark run: EvalScope's shape, plus counts and standard errors.

EvalScope's ``reports/<model>/<bench>.json`` nests metric -> categories -> subsets with ``score``
and ``num``; dashboards read that, so we keep it. We add what an honest report needs: a standard
error next to every score, how many samples were scored / excluded / errored, how often no answer
could be extracted, and timing.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class SubsetScore(BaseModel):
    """One metric on one subset."""

    name: str
    num: int = Field(description="Samples that entered the score.")
    score: float
    stderr: float = Field(description="Standard error of the score (0 when num < 2).")


class CategoryScore(BaseModel):
    """One metric on a group of subsets (e.g. MMLU's STEM)."""

    name: list[str]
    num: int
    score: float = Field(description="Micro average: every sample weighs the same.")
    macro_score: float = Field(description="Mean of the subset scores.")
    stderr: float
    subsets: list[SubsetScore]


class MetricScore(BaseModel):
    """One metric (e.g. ``mean_acc``, ``pass@4``) over the whole benchmark."""

    name: str
    num: int
    score: float = Field(description="Micro average over all samples.")
    macro_score: float = Field(description="Mean of the subset scores.")
    stderr: float
    categories: list[CategoryScore]


class Counts(BaseModel):
    """How every (sample, repeat) ended; nothing is hidden inside a mean."""

    total: int = 0
    scored: int = 0
    excluded: int = 0
    errored: int = 0
    extraction_failures: int = Field(0, description="Scored answers from which no answer could be extracted.")
    truncated: int = Field(0, description="Answers cut by max_tokens or left inside an open <think> block.")
    excluded_reasons: dict[str, int] = Field(default_factory=dict)
    error_reasons: dict[str, int] = Field(default_factory=dict)

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


class DataSource(BaseModel):
    """Where one (subset, split) of the data was read, so a score can be traced to exact data."""

    subset: str
    split: str
    location: str = Field(description="Local file path, or the hub dataset id.")
    hub: str | None = Field(default=None, description="'huggingface' / 'modelscope'; None for a local file.")
    revision: str | None = Field(default=None, description="Revision asked for; None = the hub's default branch.")
    resolved_revision: str | None = Field(default=None, description="Commit actually read, where the hub says.")


class Report(BaseModel):
    """Everything ``reports/<model>/<bench>.json`` holds."""

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
