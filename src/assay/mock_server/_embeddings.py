"""``POST /v1/embeddings`` for the mock server: deterministic vectors from a hash of the text.

A test of an embedding client needs vectors that are the same on every run, differ between texts
and have the length asked for. Each vector here is read off SHAKE-256 of the text (so the first
``d`` numbers do not depend on how many were asked for, as with OpenAI's shortened embeddings) and
scaled to unit length. ``dimensions`` sets the length (default :data:`DEFAULT_EMBEDDING_DIMENSIONS`);
``encoding_format`` ``base64`` (what the ``openai`` package asks for) packs little-endian float32.

Example:
    >>> vector = embedding_vector("hello", 4)
    >>> len(vector), round(sum(x * x for x in vector), 6), vector == embedding_vector("hello", 4)
    (4, 1.0, True)
"""

from __future__ import annotations

import base64
import hashlib
import math
import struct
from dataclasses import dataclass
from typing import Any

import orjson

from assay.mock_server._protocol import BadRequest, decode_body, requested_model
from assay.mock_server._rules import count_tokens

EMBEDDINGS_PATH = "/v1/embeddings"
#: Length of a vector when the request does not set ``dimensions``.
DEFAULT_EMBEDDING_DIMENSIONS = 64
#: Longest vector served: a test server has no reason to build megabyte answers.
MAX_EMBEDDING_DIMENSIONS = 8192


@dataclass(slots=True)
class EmbeddingRequest:
    """The parts of an embeddings request the mock server acts on."""

    model: str | None
    inputs: list[str]
    dimensions: int
    base64: bool

    @property
    def question(self) -> str:
        """What ``prompt_counts`` keys: the inputs joined by newlines."""
        return "\n".join(self.inputs)


class EmbeddingsEndpoint:
    """``/v1/embeddings``: parse a request, answer it."""

    path = EMBEDDINGS_PATH

    def parse(self, raw: bytes) -> EmbeddingRequest:
        """Decode and validate a request body.

        Raises:
            BadRequest: invalid JSON, an ``input`` that is not a string or a list of strings, or a
                ``dimensions`` that is not a positive integer.
        """
        body = decode_body(raw)
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(i, str) for i in inputs):
            raise BadRequest("'input' must be a string or a non-empty list of strings")
        dimensions = body.get("dimensions", DEFAULT_EMBEDDING_DIMENSIONS)
        if type(dimensions) is not int or not 0 < dimensions <= MAX_EMBEDDING_DIMENSIONS:
            raise BadRequest(f"'dimensions' must be an integer from 1 to {MAX_EMBEDDING_DIMENSIONS}")
        encoding = body.get("encoding_format", "float")
        if encoding not in ("float", "base64"):
            raise BadRequest("'encoding_format' must be 'float' or 'base64'")
        return EmbeddingRequest(requested_model(body), inputs, dimensions, encoding == "base64")

    def body(self, req: EmbeddingRequest, model: str) -> bytes:
        """The response document: one vector per input, and the inputs' mock-token count as usage."""
        data: list[dict[str, Any]] = []
        for index, text in enumerate(req.inputs):
            vector = embedding_vector(text, req.dimensions)
            encoded: Any = vector
            if req.base64:
                encoded = base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        tokens = sum(count_tokens(text) for text in req.inputs)
        usage = {"prompt_tokens": tokens, "total_tokens": tokens}
        return orjson.dumps({"object": "list", "data": data, "model": model, "usage": usage})


def embedding_vector(text: str, dimensions: int) -> list[float]:
    """A unit-length vector of ``dimensions`` numbers, fixed by ``text``."""
    raw = hashlib.shake_256(text.encode("utf-8")).digest(2 * dimensions)
    values = [v / 32767.5 - 1.0 for v in struct.unpack(f"<{dimensions}H", raw)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]


EMBEDDINGS = EmbeddingsEndpoint()
