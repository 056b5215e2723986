"""The model interface every backend implements, and the registry that finds backends by name.

The interface is deliberately tiny (one async method plus ``check`` and ``aclose``): the engine owns
concurrency, journaling and scoring, so a backend only turns messages into a
:class:`~assay.types.ModelOutput`. Three request kinds exist, and the engine sends each to the
protocol that serves it: ``generate`` (:class:`ModelAPI`), log-likelihoods of given continuations
(:class:`LoglikelihoodModel`) and embeddings (:class:`EmbeddingModel`). A backend that can call
functions sets ``supports_tools = True`` and accepts ``tools`` / ``tool_choice`` keywords in
``generate``; the engine passes them only for samples that carry tools.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from assay.registry import Registry
from assay.types import ChatMessage, GenerateConfig, ModelOutput, ToolChoice, ToolInfo


@runtime_checkable
class ModelAPI(Protocol):
    """An LLM the engine can ask for completions.

    Implementations must be safe to call concurrently from one event loop: the engine keeps up to
    ``eval_batch_size`` calls in flight. A failed call returns a ``ModelOutput`` with ``error`` set
    rather than raising, except for mistakes no retry can fix (bad URL, bad key), which raise
    :class:`~assay.errors.UserError` so the run stops before wasting work.

    Example:
        >>> import asyncio
        >>> from assay.models import get_model_api
        >>> model = get_model_api("mock_llm")(model="mock", reply="ANSWER: B")
        >>> asyncio.run(model.generate([ChatMessage(role="user", content="2+2?")], GenerateConfig())).text
        'ANSWER: B'
    """

    model_name: str

    async def generate(self, input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        """Answer one prompt: chat messages, or a raw string for a completions endpoint."""
        ...

    async def check(self) -> None:
        """Fail fast (raise UserError) if the backend cannot serve at all, before any sample runs."""
        ...

    async def aclose(self) -> None:
        """Release connections and processes."""
        ...


async def check_model(model: Any, config: GenerateConfig | None) -> None:
    """``model.check``, given the run's generation config when its ``check`` takes one.

    Why: the openai_api backend's start-up check must send the headers the real requests send
    (``extra_headers`` keys included), which come from the generation config; a backend or plugin
    written with ``check(self)`` is called as before.
    """
    check = model.check
    try:
        takes_config = len(inspect.signature(check).parameters) >= 1
    except (TypeError, ValueError):  # a callable without a readable signature
        takes_config = False
    await (check(config) if takes_config else check())


@runtime_checkable
class LoglikelihoodModel(Protocol):
    """A backend that can also score continuations (local checkpoints; servers cannot).

    Multiple-choice benchmarks with ``extra_params.choice_scoring`` set to ``loglikelihood`` call
    this instead of :meth:`ModelAPI.generate`.
    """

    async def loglikelihood(
        self, context: list[ChatMessage] | str, continuations: list[str]
    ) -> list[tuple[float, int]]:
        """For each continuation, the summed log-probability of its tokens after ``context`` and their count.

        ``context`` is prepared as for :meth:`ModelAPI.generate` (chat messages go through the chat
        template with the assistant turn opened), so a continuation is what the model would reply.
        """
        ...


@runtime_checkable
class MultiChoiceModel(Protocol):
    """A backend that can ask for several completions of one prompt in one request (OpenAI's ``n``).

    The engine asks a sample's repeats this way; a server that answers fewer choices than asked
    gets the rest asked one by one.
    """

    async def generate_n(self, input: list[ChatMessage] | str, config: GenerateConfig, n: int) -> list[ModelOutput]:
        """Up to ``n`` completions in index order (choice 0 carries the request's usage), or one failed output."""
        ...


@runtime_checkable
class ToolCallingModel(Protocol):
    """A backend whose ``generate`` can offer the model functions to call (``supports_tools = True``)."""

    supports_tools: bool

    async def generate(
        self,
        input: list[ChatMessage] | str,
        config: GenerateConfig,
        *,
        tools: Sequence[ToolInfo] | None = None,
        tool_choice: ToolChoice | None = None,
    ) -> ModelOutput:
        """Answer one prompt; the reply may hold ``tool_calls`` instead of (or besides) text."""
        ...


@runtime_checkable
class EmbeddingModel(Protocol):
    """A backend that turns text into a vector (embedding models behind ``/v1/embeddings``)."""

    async def embed(self, text: str, config: GenerateConfig) -> ModelOutput:
        """The embedding of ``text`` in ``ModelOutput.embedding`` (``error`` set when every attempt failed)."""
        ...


ModelFactory = Callable[..., ModelAPI]
F = TypeVar("F", bound=ModelFactory)

#: Built-in backends are imported only when first asked for, so ``assay --help`` stays instant.
#: ``service`` and ``server`` are EvalScope's older names for ``openai_api``, ``checkpoint`` for
#: ``llm_ckpt``.
_MODEL_APIS: Registry[ModelFactory] = Registry(
    "eval_type / model backend",
    builtin={
        "openai_api": "assay.models.openai_api",
        "mock_llm": "assay.models.mock_llm",
        "llm_ckpt": "assay.models.llm_ckpt",
        "sentence_transformers": "assay.models.sentence_transformers_backend",
    },
    aliases={"service": "openai_api", "server": "openai_api", "checkpoint": "llm_ckpt"},
)

#: Requests in flight when neither the user nor the backend says (EvalScope uses 8 against APIs).
DEFAULT_EVAL_BATCH_SIZE = 8


@dataclass(frozen=True)
class BackendDefaults:
    """What a backend runs with when the user does not say; read from class attributes of the backend.

    ``default_eval_batch_size`` (requests in flight), ``default_generation_config`` (sampling settings
    when the user gives none, e.g. greedy decoding for API servers) and ``accepts_chat_template``
    (the backend applies ``--chat-template`` itself).
    """

    eval_batch_size: int = DEFAULT_EVAL_BATCH_SIZE
    generation_config: dict[str, Any] = field(default_factory=dict)
    accepts_chat_template: bool = False


def canonical_eval_type(name: str) -> str:
    """``name`` with EvalScope's older spellings resolved (``service`` -> ``openai_api``)."""
    return _MODEL_APIS.canonical(name)


def infer_eval_type(model: str | None, api_url: str | None) -> str:
    """The backend of a run that names none: a server when there is a URL, else a local model.

    ``--model mock`` without a URL is the in-process mock (EvalScope's ``mock_llm``).
    """
    if api_url:
        return "openai_api"
    return "mock_llm" if model == "mock" else "llm_ckpt"


def backend_defaults(eval_type: str) -> BackendDefaults:
    """The defaults the backend registered as ``eval_type`` declares (generic ones if it is unknown yet)."""
    factory = _MODEL_APIS.find(eval_type)
    return BackendDefaults(
        eval_batch_size=int(getattr(factory, "default_eval_batch_size", DEFAULT_EVAL_BATCH_SIZE)),
        generation_config=dict(getattr(factory, "default_generation_config", {})),
        accepts_chat_template=bool(getattr(factory, "accepts_chat_template", False)),
    )


def register_model_api(name: str) -> Callable[[F], F]:
    """Register a model backend under ``name`` (usable as ``eval_type`` / ``--eval-type``).

    The factory is called as ``factory(model=..., api_url=..., api_key=..., **model_args)`` and
    must return an object that satisfies :class:`ModelAPI`.

    Example:
        >>> @register_model_api("always_a")
        ... class AlwaysA:
        ...     def __init__(self, model: str, **kwargs: object) -> None:
        ...         self.model_name = model
        ...     async def generate(self, input, config):
        ...         return ModelOutput(text="ANSWER: A")
        ...     async def check(self) -> None: ...
        ...     async def aclose(self) -> None: ...
    """

    def decorate(factory: F) -> F:
        _MODEL_APIS.register(name)(factory)
        return factory

    return decorate


def get_model_api(name: str) -> ModelFactory:
    """Find a backend by name, importing built-ins lazily; unknown names raise ``UserError``."""
    return _MODEL_APIS.get(name)


def registered_model_apis() -> list[str]:
    """Names of every backend known now (built-ins included)."""
    return _MODEL_APIS.names()
