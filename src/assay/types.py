"""Core data types that flow from a benchmark through the engine to the report.

Every stage speaks these types, so a benchmark never sees HTTP details and a model backend never
sees scoring details. They are pydantic models because every one of them is written to (and read
back from) the JSONL journal: validation on read is what lets a resumed run trust its cache.

A message's content is plain text or a list of parts (text and images), and a conversation can hold
tool calls and tool results, so vision-language and function-calling benchmarks use the same types.
Images are journaled as references (their SHA-256 and where they came from), never as bytes.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Role = Literal["system", "user", "assistant", "tool"]


class TextPart(BaseModel):
    """A piece of text inside a message whose content is a list of parts."""

    model_config = ConfigDict(frozen=True)

    type: Literal["text"] = "text"
    text: str


class ImagePart(BaseModel):
    """An image inside a message: a file, a URL, or bytes a dataset holds in memory.

    Only a reference reaches the journal (``source`` and ``sha256``); ``data`` and ``cache_path`` never do.
    ``sha256`` is computed once, when the part is made, from the bytes (from the URL text for a
    remote ``http(s)`` image, which the server fetches itself), so fingerprints hash an image once.

    Example:
        >>> part = ImagePart(source="pixel.png#0", data=b"\\x89PNG...")
        >>> part.model_dump(mode="json")["sha256"][:12], "data" in part.model_dump()
        ('20bb52267be3', False)
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["image"] = "image"
    source: str = Field(
        description="Where the image is: a file path, an http(s) or data: URL, or a dataset location "
        "(`<file>#<row>/<column>`) for bytes held in `data`."
    )
    sha256: str = Field("", description="SHA-256 of the image bytes (of the URL for a remote image).")
    mime_type: str | None = Field(None, description="`image/png` ...; guessed from the bytes or name when unset.")
    detail: Literal["auto", "low", "high"] | None = Field(None, description="OpenAI's image `detail` hint.")
    data: bytes | None = Field(None, exclude=True, repr=False, description="The bytes, when held in memory.")
    cache_path: str | None = Field(
        None,
        exclude=True,
        description="A file holding the bytes when `source` is not one (a dataset location whose bytes were "
        "spooled to disk so that a run does not hold every image in memory).",
    )

    @model_validator(mode="after")
    def _hash_once(self) -> ImagePart:
        if not self.sha256:
            raw = self.load_bytes()
            digest = hashlib.sha256(raw if raw is not None else self.source.encode("utf-8")).hexdigest()
            object.__setattr__(self, "sha256", digest)
        if self.mime_type is None:
            head = self.data if self.data is not None or self.cache_path is None else _head(self.cache_path)
            object.__setattr__(self, "mime_type", _guess_mime(head, self.source))
        return self

    @property
    def is_remote(self) -> bool:
        """An http(s) URL: sent as it is, for the server to fetch."""
        return self.source.startswith(("http://", "https://"))

    def load_bytes(self) -> bytes | None:
        """The image bytes (None for a remote URL).

        Raises:
            FileNotFoundError: ``source`` is a path that does not exist and no ``data`` is held.
        """
        if self.data is not None:
            return self.data
        if self.cache_path is not None:
            return Path(self.cache_path).read_bytes()
        if self.is_remote:
            return None
        if self.source.startswith("data:"):
            return base64.b64decode(self.source.partition(",")[2])
        return Path(self.source).read_bytes()

    def url(self) -> str:
        """What an OpenAI ``image_url`` part carries: the remote URL, or a ``data:`` URL of the bytes."""
        if self.is_remote or self.source.startswith("data:"):
            return self.source
        raw = self.load_bytes() or b""
        return f"data:{self.mime_type or 'image/png'};base64,{base64.b64encode(raw).decode('ascii')}"


ContentPart = Annotated[TextPart | ImagePart, Field(discriminator="type")]


class ToolCall(BaseModel):
    """One function call the model asked for (OpenAI ``tool_calls[i]``, fragments already joined)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Call id the tool result refers back to.")
    name: str = Field(description="Function name.")
    arguments: str = Field(description="Arguments as the model wrote them: JSON text, not parsed or checked.")


class ToolInfo(BaseModel):
    """A function the model may call (OpenAI ``tools[i].function``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str = ""
    parameters: dict[str, Any] = Field(
        default_factory=lambda: {"type": "object", "properties": {}}, description="JSON Schema of the arguments."
    )


#: ``auto`` / ``none`` / ``required``, or the name of the one function the model must call.
ToolChoice = str


class ChatMessage(BaseModel):
    """One chat turn, as the OpenAI Chat Completions API defines it.

    Example:
        >>> ChatMessage(role="user", content=[TextPart(text="What is drawn?"), TextPart(text="Be brief.")]).text
        'What is drawn?\\nBe brief.'
    """

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str | list[ContentPart]
    tool_calls: list[ToolCall] | None = Field(None, description="Calls an assistant turn made.")
    tool_call_id: str | None = Field(None, description="The call a `tool` turn answers.")

    @property
    def text(self) -> str:
        """The message's text: the content itself, or its text parts joined by newlines."""
        if isinstance(self.content, str):
            return self.content
        return "\n".join(part.text for part in self.content if isinstance(part, TextPart))

    @property
    def images(self) -> list[ImagePart]:
        """The image parts, in order."""
        if isinstance(self.content, str):
            return []
        return [part for part in self.content if isinstance(part, ImagePart)]


def messages_json(input: list[ChatMessage] | str) -> list[dict[str, Any]] | str:
    """A prompt as the journal and fingerprints hold it: images as references, unset fields left out.

    Plain-text messages dump exactly as ``{"role", "content"}``, so adding image and tool fields
    did not change the fingerprint of any text-only prompt.
    """
    if isinstance(input, str):
        return input
    return [message.model_dump(mode="json", exclude_none=True) for message in input]


def _head(path: str) -> bytes | None:
    """The first bytes of a file, enough to recognise an image type."""
    try:
        with open(path, "rb") as handle:
            return handle.read(16)
    except OSError:
        return None


def _guess_mime(data: bytes | None, source: str) -> str | None:
    head = data[:12] if data else b""
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if source.startswith("data:"):
        return source[5:].partition(";")[0] or None
    guessed, _ = mimetypes.guess_type(source.partition("#")[0])
    return guessed


_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF8", "image/gif"))


#: The values a server can act on, per GenerateConfig field: (accepts the value, the range in words).
#: ``top_k`` -1 is vLLM's and SGLang's "no limit"; the penalties are OpenAI's documented range.
_GENERATE_RANGES: dict[str, tuple[Callable[[float], bool], str]] = {
    "max_tokens": (lambda v: v > 0, "a positive number of tokens (> 0)"),
    "temperature": (lambda v: v >= 0, ">= 0 (0 = greedy)"),
    "top_p": (lambda v: 0 < v <= 1, "in (0, 1]"),
    "top_k": (lambda v: v >= -1, ">= 0, or -1 for no limit"),
    "n": (lambda v: v >= 1, ">= 1"),
    "presence_penalty": (lambda v: -2 <= v <= 2, "in [-2, 2]"),
    "frequency_penalty": (lambda v: -2 <= v <= 2, "in [-2, 2]"),
    "timeout": (lambda v: v > 0, "> 0 seconds (leave it out for no limit)"),
    "retries": (lambda v: v >= 0, ">= 0"),
    "retry_interval": (lambda v: v >= 0, ">= 0 seconds"),
}


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
    read_timeout: float | None = Field(
        600.0,
        description=(
            "Seconds to wait for the next bytes of an answer (None = no limit): the whole answer of a non-stream "
            "request, the gap between chunks of a stream. 600 s is the OpenAI SDK's read timeout."
        ),
    )
    max_response_bytes: int | None = Field(
        32 * 1024 * 1024,
        description="Largest answer read, bytes: a body, or the sum of a stream's chunks (None = no limit).",
    )

    #: Fields that control transport, not sampling: they never change what a model says, so they are
    #: left out of the resume fingerprint.
    TRANSPORT_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"timeout", "retries", "retry_interval", "stream", "extra_headers", "read_timeout", "max_response_bytes"}
    )

    @field_validator(*_GENERATE_RANGES)
    @classmethod
    def _in_range(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse a value no server can act on (``max_tokens=0``, ``top_p=1.5``), naming the allowed range."""
        accepts, allowed = _GENERATE_RANGES[str(info.field_name)]
        if value is not None and not accepts(value):
            raise ValueError(f"must be {allowed}")
        return value

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
    tool_calls: list[ToolCall] | None = Field(None, description="Functions the model asked to call.")
    embedding: list[float] | None = Field(None, description="The vector of an embed request.")
    rerank_scores: list[float | None] | None = Field(
        None,
        description="A rerank request's relevance score of each document, in the order the documents were "
        "sent; None for a document left out of the `top_n` the server returned.",
    )
    option_scores: list[OptionScore] | None = Field(
        None, description="Per-option log-likelihoods when a multiple-choice item was scored that way."
    )
    turns: list[str] | None = Field(None, description="The answer to each user turn of a multi-turn request.")
    choice_index: int | None = Field(
        None,
        description=(
            "Which of the n completions of one request this is (repeats asked as `n`); the request's "
            "usage and latency are on choice 0, later choices carry no usage of their own."
        ),
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
    tools: list[ToolInfo] | None = Field(None, description="Functions the model may call while answering.")
    tool_choice: ToolChoice | None = Field(None, description="`auto`, `none`, `required` or a function name.")
    subset: str = "default"
    metadata: dict[str, Any] = Field(default_factory=dict)

    def user_text(self) -> str:
        """The text a request about this sample is about: a raw prompt, or the last user message's text."""
        if isinstance(self.input, str):
            return self.input
        users = [m for m in self.input if m.role == "user"]
        return (users[-1] if users else self.input[-1]).text if self.input else ""


class RequestKind(str, Enum):
    """What the engine asks a model for one sample; each kind is served by one backend protocol."""

    GENERATE = "generate"
    """A reply to the prompt (:class:`assay.models.ModelAPI`)."""
    LOGLIKELIHOOD = "loglikelihood"
    """The log-probability of each option as the reply (:class:`assay.models.LoglikelihoodModel`)."""
    EMBED = "embed"
    """The vector of the prompt's text (:class:`assay.models.EmbeddingModel`)."""
    MULTI_TURN = "multi_turn"
    """A conversation: each user turn of the input is answered in order, with the model's own earlier
    answers in context (MT-Bench); ``ModelOutput.turns`` holds every answer, ``text`` the last."""


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
    details: dict[str, Any] | None = Field(
        None,
        description="What decided the verdict beyond the value: the judge's replies and verdicts, and under "
        "``llm_recall`` the rule-based score beside the judge's.",
    )
