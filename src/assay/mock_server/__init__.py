"""An OpenAI-compatible mock server: deterministic answers, exact latencies, injected faults.

The test-suite, the demo and the serving benchmarks need an "LLM" that answers instantly or with
exact latencies, fails on demand and counts what it saw. This is it. It serves
``POST /v1/chat/completions`` and ``POST /v1/completions`` (streaming or not),
``POST /v1/embeddings`` (deterministic vectors, ``dimensions`` honoured), ``GET /v1/models``,
``GET /health``, and an admin API: ``GET /admin/stats``, ``POST /admin/reset``,
``GET|POST /admin/rules`` (which, like every endpoint but ``/health``, needs the key when the server
has one).

What it answers: the first :class:`Rule` matching the question (last user message, or prompt; a
message of content parts counts by its text parts joined with newlines) and, if the rule says so,
the system text (``system_contains``), else the question itself with ``echo``, else
``default_reply``; cut at a ``stop`` string or at ``max_tokens`` mock tokens (see
:data:`TOKEN_PATTERN`). A rule may answer with tool calls (:class:`RuleToolCall`), streamed as
OpenAI's fragments. When it answers and how it fails: see :class:`ServerConfig` and :class:`Fault`;
a rule with ``fault`` fails its requests deterministically (always, or its first ``fail_times``),
outside the seeded random faults. What it saw: :meth:`MockServer.stats`, including the SHA-256 of
every ``data:`` URL image, the tool definitions each request carried and each rule's hit count.

Seeing images: a test of a vision benchmark draws its answer into the image with
:func:`~assay.mock_server.vision.draw_text` and gives a rule ``read`` (``"text"``, ``"colour"`` or
``"option"``); the server then decodes the images it receives, reads the text or background colour
back, and ``{read}`` in the reply becomes it, so the answer is right only if the pixels travelled,
through whatever re-encoding or resizing the client did. Pixels are decoded only for such a rule;
``draw_text``, ``read_image``, ``ImageReading`` and ``PALETTE`` live in
:mod:`assay.mock_server.vision` and load Pillow, a development dependency, on first use.

Acting as an LLM judge, for example (a verdict per answer, and a judge that fails twice first)::

    rules = [
        Rule(system_contains="impartial judge", regex=r"(?s)Answer:.*Paris", reply="[[9]]"),
        Rule(system_contains="impartial judge", contains="Lyon", reply="[[2]]", fault="500", fail_times=2),
    ]

Example:
    >>> import openai
    >>> config = ServerConfig(ttft_ms=20, rules=[Rule(contains="2+2", reply="4")])
    >>> with run_server_in_thread(config) as srv:
    ...     client = openai.OpenAI(base_url=srv.url, api_key="unused")
    ...     question = [{"role": "user", "content": "2+2?"}]
    ...     reply = client.chat.completions.create(model="mock-model", messages=question)
    ...     reply.choices[0].message.content, srv.stats()["by_outcome"]["ok"]
    ('4', 1)

From a shell: ``assay mock-server --port 8000`` or ``python -m assay.mock_server --port 0``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assay.mock_server._app import MockServer
from assay.mock_server._config import ServerConfig
from assay.mock_server._embeddings import DEFAULT_EMBEDDING_DIMENSIONS, embedding_vector
from assay.mock_server._faults import Fault
from assay.mock_server._rules import TOKEN_PATTERN, Rule, RuleToolCall, count_tokens, load_rules, split_tokens
from assay.mock_server._runner import ServerHandle, run_server_in_thread, serve_forever
from assay.mock_server._stats import OUTCOMES, prompt_key

if TYPE_CHECKING:
    from assay.mock_server.vision import PALETTE, ImageReading, draw_text, read_image

__all__ = [
    "DEFAULT_EMBEDDING_DIMENSIONS",
    "OUTCOMES",
    "PALETTE",
    "TOKEN_PATTERN",
    "Fault",
    "ImageReading",
    "MockServer",
    "Rule",
    "RuleToolCall",
    "ServerConfig",
    "ServerHandle",
    "count_tokens",
    "draw_text",
    "embedding_vector",
    "load_rules",
    "prompt_key",
    "read_image",
    "run_server_in_thread",
    "serve_forever",
    "split_tokens",
]

_VISION = frozenset({"PALETTE", "ImageReading", "draw_text", "read_image"})


def __getattr__(name: str) -> Any:
    """The image helpers, imported on first use: the server itself needs neither numpy nor Pillow."""
    if name in _VISION:
        from assay.mock_server import vision

        return getattr(vision, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
