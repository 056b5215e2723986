"""Core data types that flow from a benchmark through the engine to the report.

Every stage speaks these types, so a benchmark never sees HTTP details and a model backend never
sees scoring details. They are pydantic models because every one of them is written to (and read
back from) the JSONL journal: validation on read is what lets a resumed run trust its cache.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["system", "user", "assistant"]


class ChatMessage(BaseModel):
    """One chat turn, as the OpenAI Chat Completions API defines it."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class GenerateConfig(BaseModel):
    """Sampling and transport settings for one model call (EvalScope's ``generation_config``).

    Keys that are not fields here (``repetition_penalty``, ``chat_template_kwargs`` ...) are kept and
    sent to the server in the request body, so servers with extra sampling knobs just work.

    Example:
        >>> GenerateConfig(max_tokens=16, temperature=0.0, min_p=0.1).request_extras()
        {'min_p': 0.1}
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    max_tokens: int | None = Field(None, description="Most tokens to generate; None = server default.")
    temperature: float | None = Field(None, description="Sampling temperature; 0 = greedy.")
    top_p: float | None = Field(None, description="Nucleus sampling mass in (0, 1].")
    top_k: int | None = Field(None, description="Sample from the k most likely tokens (sent in extra body).")
    seed: int | None = Field(None, description="Sampling seed passed to the server.")
    stop: list[str] | None = Field(None, description="Stop sequences.")
    n: int | None = Field(None, description="Completions per request (servers that support it).")
    presence_penalty: float | None = Field(None, description="OpenAI presence penalty.")
    frequency_penalty: float | None = Field(None, description="OpenAI frequency penalty.")
    timeout: float | None = Field(None, description="Seconds allowed for one HTTP attempt (None = no limit).")
    retries: int = Field(5, description="Extra attempts after a retryable failure (429, 5xx, timeout).")
    retry_interval: float = Field(1.0, description="Base of the exponential backoff, in seconds.")
    stream: bool = Field(False, description="Stream tokens (records time to first token).")
    extra_headers: dict[str, str] | None = Field(None, description="Extra HTTP headers for every request.")
    extra_body: dict[str, Any] | None = Field(None, description="Extra JSON merged into the request body.")

    #: Fields that control transport, not sampling: they never change what a model says, so they are
    #: left out of the resume fingerprint.
    TRANSPORT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"timeout", "retries", "retry_interval", "stream", "extra_headers"}
    )

    def request_extras(self) -> dict[str, Any]:
        """Unknown keys given by the user; they travel in the request body as they are."""
        return dict(self.model_extra or {})

    def sampling_dict(self) -> dict[str, Any]:
        """Everything that can change the model's answer (used for the resume fingerprint)."""
        data = self.model_dump(exclude_none=True)
        return {k: v for k, v in data.items() if k not in self.TRANSPORT_FIELDS}


class Usage(BaseModel):
    """Token counts reported by the server for one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class OptionScore(BaseModel):
    """How likely the model finds one multiple-choice option, as a continuation of the prompt."""

    label: str = Field(description="Option letter (``A``, ``B`` ...).")
    logprob: float = Field(description="Sum of the option tokens' log-probabilities (natural log).")
    tokens: int = Field(description="Tokens in the option's continuation.")
    logprob_per_token: float = Field(description="``logprob / tokens``: the length-normalised score.")


class ModelOutput(BaseModel):
    """What one model call produced, with its cost and timing.

    ``error`` is set (and ``text`` empty) when every attempt failed; the engine records the sample as
    errored instead of scoring an empty answer as wrong.
    """

    text: str = ""
    reasoning: str | None = Field(None, description="Server-side reasoning (``reasoning_content``).")
    finish_reason: str | None = None
    usage: Usage | None = None
    latency_s: float = Field(0.0, description="Wall time of the successful attempt, seconds.")
    ttft_s: float | None = Field(None, description="Time to first token of a streamed answer, seconds.")
    attempts: int = Field(1, description="HTTP attempts made, retries included.")
    error: str | None = None
    option_scores: list[OptionScore] | None = Field(
        None, description="Per-option log-likelihoods when a multiple-choice item was scored that way."
    )


class Sample(BaseModel):
    """One benchmark item, ready to send to a model.

    ``id`` is stable across runs (derived from the dataset, not from list position after shuffling),
    which is what makes the journal a resume cache.
    """

    id: str
    input: list[ChatMessage] | str = Field(description="Chat messages, or a raw prompt for completions.")
    target: str | list[str] = Field(description="Gold answer(s): a letter for MCQ, a value for math.")
    choices: list[str] | None = Field(None, description="Option texts of a multiple-choice item.")
    subset: str = "default"
    metadata: dict[str, Any] = Field(default_factory=dict)


class SampleStatus(str, Enum):
    """How a (sample, repeat) ended; reports count each so no failure hides inside a mean."""

    SCORED = "scored"
    EXCLUDED = "excluded"
    ERRORED = "errored"


class Score(BaseModel):
    """The verdict on one prediction."""

    value: dict[str, float] = Field(default_factory=dict, description="Metric name -> value in [0, 1].")
    extracted: str | None = Field(None, description="Answer pulled out of the prediction; None = not found.")
    status: SampleStatus = SampleStatus.SCORED
    reason: str | None = Field(None, description="Why a sample was excluded or errored.")
    truncated: bool = Field(False, description="Output hit max_tokens or left a <think> block open.")
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Metric name -> how many units its value averages (IFEval: the prompt's instruction "
        "count), so reports can average over units instead of samples; absent = 1.",
    )
    explanation: str | None = None
