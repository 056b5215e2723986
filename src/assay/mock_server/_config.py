"""The mock server's settings: one frozen model, every field with its meaning and unit."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assay.mock_server._faults import Fault
from assay.mock_server._rules import Rule


class ServerConfig(BaseModel):
    """Everything the mock server does, fixed at start (rules can still be swapped at runtime).

    The ``p_*`` probabilities apply to every request except those won by a rule with a ``fault``:
    such a rule fails (or answers) its requests itself, without a draw from the seeded RNG.

    Example:
        >>> config = ServerConfig(ttft_ms=50, itl_ms=10, p_429=0.1, rules=[Rule(contains="2+2", reply="4")])
        >>> config.fault_probabilities()[Fault.RATE_LIMIT]
        0.1
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Interface to bind.")
    port: int = Field(default=0, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    models: list[str] = Field(
        default_factory=lambda: ["mock-model"],
        min_length=1,
        description="Model names listed by /v1/models; the first answers requests that name none.",
    )
    strict_model: bool = Field(
        default=False, description="Reject (404) requests for models not in `models`; else accept any."
    )
    api_key: str | None = Field(
        default=None,
        description="If set, requests (the /admin API too) must send `Authorization: Bearer <key>` or get 401.",
    )
    ttft_ms: float = Field(default=0.0, ge=0, description="Delay from request arrival to the first token, ms.")
    itl_ms: float = Field(default=0.0, ge=0, description="Delay between consecutive tokens, ms.")
    latency_ms: float = Field(
        default=0.0, ge=0, description="Extra fixed delay added to non-streaming responses only, ms."
    )
    default_reply: str = Field(default="ANSWER: A", description="Reply when no rule matches and not `echo`.")
    echo: bool = Field(
        default=False, description="When no rule matches, reply with the last user message / the prompt."
    )
    rules: list[Rule] = Field(default_factory=list, description="Canned replies; the first match wins.")
    ignore_n: bool = Field(
        default=False, description="Answer one choice whatever `n` asks, as servers without `n` support do."
    )
    p_429: float = Field(default=0.0, ge=0, le=1, description="Probability of a 429 per request.")
    p_500: float = Field(default=0.0, ge=0, le=1, description="Probability of a 500 per request.")
    p_hang: float = Field(default=0.0, ge=0, le=1, description="Probability of a silent hang per request.")
    p_truncate: float = Field(
        default=0.0, ge=0, le=1, description="Probability of a response cut off mid-body per request."
    )
    p_malformed: float = Field(
        default=0.0, ge=0, le=1, description="Probability of a 200 whose body is not valid JSON per request."
    )
    retry_after_s: float = Field(default=0.0, ge=0, description="`Retry-After` value sent with 429s, s.")
    hang_s: float = Field(default=3600.0, ge=0, description="How long a hung request stays silent, s.")
    seed: int | None = Field(default=0, description="Seed of the fault RNG; None seeds from the OS.")
    record_path: Path | None = Field(
        default=None, description="JSONL file to append one timing record per generation request to."
    )

    @model_validator(mode="after")
    def _faults_fit(self) -> ServerConfig:
        total = sum(self.fault_probabilities().values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities sum to {total:g}, more than 1")
        return self

    def fault_probabilities(self) -> dict[Fault, float]:
        """The ``p_*`` fields keyed by fault."""
        return {
            Fault.RATE_LIMIT: self.p_429,
            Fault.SERVER_ERROR: self.p_500,
            Fault.HANG: self.p_hang,
            Fault.TRUNCATE: self.p_truncate,
            Fault.MALFORMED: self.p_malformed,
        }
