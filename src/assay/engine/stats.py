"""Timing and cost of the new work a run did for one benchmark, as the report's ``timing`` shows it."""

from __future__ import annotations

from dataclasses import dataclass

from assay.report.model import Timing
from assay.types import ModelOutput


@dataclass
class DatasetStats:
    """Timing and cost of the new work done for one benchmark."""

    first_start: float | None = None
    last_end: float | None = None
    finished: int = 0
    requests: int = 0
    latency_sum: float = 0.0
    ttft_sum: float = 0.0
    ttft_n: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add_output(self, output: ModelOutput) -> None:
        if output.choice_index:  # a later choice of an `n` request: the request counts with choice 0
            return
        self.requests += 1
        self.latency_sum += output.latency_s
        if output.ttft_s is not None:
            self.ttft_sum += output.ttft_s
            self.ttft_n += 1
        if output.usage is not None:
            self.prompt_tokens += output.usage.prompt_tokens
            self.completion_tokens += output.usage.completion_tokens

    def timing(self, run_start: float) -> Timing:
        start = self.first_start if self.first_start is not None else run_start
        wall = (self.last_end - start) if self.last_end is not None else 0.0
        return Timing(
            wall_s=wall,
            requests=self.requests,
            samples_per_s=self.finished / wall if wall > 0 else 0.0,
            mean_latency_s=self.latency_sum / self.requests if self.requests else 0.0,
            mean_ttft_s=self.ttft_sum / self.ttft_n if self.ttft_n else None,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
        )
