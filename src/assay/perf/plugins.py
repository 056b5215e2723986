"""Extension points of ``assay perf``: prompt sources and API protocols, with their registries.

A *prompt source* (``--dataset``) yields the prompts; an *API plugin* (``--api``) turns a prompt into
the exact request bytes (before the run, off the hot path) and parses a finished record's chunks into
a :class:`ParsedResponse` (after the request, off the hot path). The client itself knows neither.

Example:
    >>> @register_dataset("one_question")
    ... class OneQuestion:
    ...     def __init__(self, args: PerfArguments) -> None:
    ...         self.args = args
    ...     def prompts(self) -> Iterator[Prompt]:
    ...         while True:
    ...             yield Prompt(messages=[{"role": "user", "content": "Why is the sky blue?"}])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from assay.perf._records import ParsedResponse, RequestRecord
from assay.perf.arguments import PerfArguments
from assay.registry import Registry


@dataclass(frozen=True, slots=True)
class Prompt:
    """One request's input: chat messages, or a text / token-id prompt for completions."""

    messages: list[dict[str, Any]] | None = None
    text: str | None = None
    token_ids: list[int] | None = None
    #: Prompt length in tokens when the source knows it exactly (random prompts with a tokenizer).
    prompt_tokens: int | None = None


class PromptSource(Protocol):
    """Yields prompts; a finite source is cycled by the engine when a run needs more requests."""

    def __init__(self, args: PerfArguments) -> None: ...

    def prompts(self) -> Iterator[Prompt]:
        """The prompts, in order. Must raise ``UserError`` for a file of the wrong shape."""
        ...


class ApiPlugin(Protocol):
    """Builds request bodies and parses responses for one wire protocol."""

    #: Path appended to a base URL that does not already end in an endpoint (e.g. "/chat/completions").
    default_path: str

    def __init__(self, args: PerfArguments) -> None: ...

    def build_body(self, prompt: Prompt) -> bytes:
        """The JSON request body, encoded once before the run."""
        ...

    def headers(self) -> dict[str, str]:
        """Headers for every request (auth, content type, the user's --headers)."""
        ...

    def parse(self, record: RequestRecord) -> ParsedResponse:
        """Read a finished record's chunks: text, per-event arrival times, usage, failures."""
        ...


S = TypeVar("S", bound=type)

#: Built-in plugins, imported on first use so ``assay --help`` stays instant.
_DATASETS: Registry[type] = Registry(
    "--dataset",
    builtin={
        "openqa": "assay.perf.prompts.openqa",
        "line_by_line": "assay.perf.prompts.line_by_line",
        "random": "assay.perf.prompts.random_tokens",
        "speed_benchmark": "assay.perf.prompts.speed_benchmark",
        "speed_benchmark_long": "assay.perf.prompts.speed_benchmark",
        "sharegpt": "assay.perf.prompts.sharegpt",
        "share_gpt_zh": "assay.perf.prompts.sharegpt",
        "share_gpt_en": "assay.perf.prompts.sharegpt",
        "custom": "assay.perf.prompts.custom",
        "flickr8k": "assay.perf.prompts.flickr8k",
        "random_vl": "assay.perf.prompts.random_vl",
    },
)
_APIS: Registry[type] = Registry(
    "--api",
    builtin={
        "openai": "assay.perf.apis.openai_chat",
        "local": "assay.perf.apis.openai_chat",
        "local_vllm": "assay.perf.apis.openai_chat",
        "openai_completions": "assay.perf.apis.openai_completions",
        "embeddings": "assay.perf.apis.embeddings",
        "embedding": "assay.perf.apis.embeddings",
        "openai_embedding": "assay.perf.apis.embeddings",
        "rerank": "assay.perf.apis.rerank",
        "openai_rerank": "assay.perf.apis.rerank",
        "custom": "assay.perf.apis.custom",
    },
)


def register_dataset(name: str) -> Callable[[S], S]:
    """Register a prompt source class under ``name`` (usable as ``--dataset name``)."""

    def decorate(cls: S) -> S:
        _DATASETS.register(name)(cls)
        return cls

    return decorate


def register_api(name: str) -> Callable[[S], S]:
    """Register an API plugin class under ``name`` (usable as ``--api name``)."""

    def decorate(cls: S) -> S:
        _APIS.register(name)(cls)
        return cls

    return decorate


def prompt_source_api(dataset: str) -> str | None:
    """The ``--api`` a prompt source needs, if it declares one (``speed_benchmark``: completions)."""
    api = getattr(_DATASETS.get(dataset), "api", None)
    return api if isinstance(api, str) else None


def get_prompt_source(args: PerfArguments) -> PromptSource:
    """Instantiate the prompt source named by ``args.dataset``."""
    cls: Any = _DATASETS.get(args.dataset)
    source: PromptSource = cls(args)
    return source


def get_api_plugin(args: PerfArguments) -> ApiPlugin:
    """Instantiate the API plugin named by ``args.api``."""
    cls: Any = _APIS.get(args.api)
    plugin: ApiPlugin = cls(args)
    return plugin
