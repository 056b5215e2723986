"""Turn texts into a matrix of embeddings: each distinct text asked once, cached vectors reused.

:class:`Encoder` sits between a task (which has a list of texts, repeated or not) and an embedding
backend (which answers one text, or a batch, per request). It de-duplicates the texts, takes what
the :class:`~assay.embed.cache.VectorCache` already holds, and asks the backend for the rest with at
most ``concurrency`` requests in flight. Each vector is stored the moment it arrives, so a failed or
killed run loses only the requests in flight.

Example:
    >>> import asyncio
    >>> from assay.types import GenerateConfig, ModelOutput
    >>> class Lengths:
    ...     async def embed(self, text, config):
    ...         return ModelOutput(embedding=[float(len(text)), 1.0])
    >>> encoder = Encoder(Lengths(), None, '{"model": "lengths"}', GenerateConfig(), concurrency=4)
    >>> asyncio.run(encoder.encode(["ab", "abc", "ab"])).tolist(), encoder.stats.requests
    ([[2.0, 1.0], [3.0, 1.0], [2.0, 1.0]], 2)
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from assay.embed.cache import VectorCache, cache_key
from assay.errors import UserError
from assay.models import EmbeddingModel
from assay.types import GenerateConfig, ModelOutput

__all__ = ["BATCH_SIZE", "BatchEmbeddingModel", "EncodeStats", "Encoder"]

#: Texts per request for a backend that embeds batches.
BATCH_SIZE = 32


@runtime_checkable
class BatchEmbeddingModel(Protocol):
    """A backend that embeds several texts in one request (one output per text, in order)."""

    async def embed_batch(self, texts: Sequence[str], config: GenerateConfig) -> list[ModelOutput]:
        """The embedding of each text; a failed request gives outputs with ``error`` set."""
        ...


@dataclass
class EncodeStats:
    """What encoding cost; one object may be shared by several encoders of a run."""

    requests: int = 0
    """Requests sent to the backend."""
    texts_sent: int = 0
    """Distinct texts sent (each at most once per encode call)."""
    cache_hits: int = 0
    """Distinct texts whose vector came from the cache."""
    prompt_tokens: int = 0
    """Tokens the server reported for the texts sent."""
    latency_s: float = 0.0
    """Summed wall time of the successful requests, seconds."""
    failures: list[str] = field(default_factory=list)
    """Error of every text that got no vector, in arrival order."""


class Encoder:
    """Embeds texts with one model identity (model, server, options, prefix) through a shared cache.

    Args:
        model: the backend (``embed``, and ``embed_batch`` where it has one).
        cache: where vectors are kept between runs; None = ask for every text.
        identity: JSON text describing everything that makes a vector what it is; part of each key.
        config: passed to every request (``dimensions``, timeout, retries).
        concurrency: most requests in flight.
        stats: counters to add to (a new one when not given).
        prefix: put before every text (e5's ``"query: "``); it is part of what is sent and cached.
    """

    def __init__(
        self,
        model: EmbeddingModel,
        cache: VectorCache | None,
        identity: str,
        config: GenerateConfig,
        concurrency: int,
        stats: EncodeStats | None = None,
        prefix: str = "",
    ) -> None:
        self.model = model
        self.cache = cache
        self.identity = identity
        self.config = config
        self.concurrency = max(1, concurrency)
        self.stats = stats if stats is not None else EncodeStats()
        self.prefix = prefix

    async def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """One row per text (``prefix + text`` is what is sent), in order, shape ``(len(texts), dimension)``.

        Raises:
            UserError: some texts got no vector after the backend's retries (the others stay
                cached), or the vectors differ in length.
        """
        texts = [self.prefix + text for text in texts]
        keys = {text: cache_key(self.identity, text) for text in dict.fromkeys(texts)}
        cached = self.cache.get_many(keys.values()) if self.cache is not None else {}
        vectors = {text: cached[key] for text, key in keys.items() if key in cached}
        self.stats.cache_hits += len(vectors)
        missing = [text for text in keys if text not in vectors]
        failures_before = len(self.stats.failures)
        await self._fetch(missing, keys, vectors)
        failed = self.stats.failures[failures_before:]
        if failed:
            raise UserError(
                f"{len(failed)} of {len(missing)} texts got no embedding after retries (first error: {failed[0]}); "
                f"the {len(missing) - len(failed)} vectors received are cached, so a rerun asks only for the rest"
            )
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        dimensions = {vector.size for vector in vectors.values()}
        if len(dimensions) > 1:
            raise UserError(
                f"the embeddings differ in length ({sorted(dimensions)}); the cache may hold vectors of an older "
                "model under the same name: set model_args embedding_cache to false or to a new file"
            )
        return np.stack([vectors[text] for text in texts]).astype(np.float32, copy=False)

    async def _fetch(self, texts: list[str], keys: dict[str, str], vectors: dict[str, NDArray[np.float32]]) -> None:
        """Ask for ``texts`` with at most ``concurrency`` requests in flight, storing each answer."""
        batched = isinstance(self.model, BatchEmbeddingModel)
        size = BATCH_SIZE if batched else 1
        groups = [texts[start : start + size] for start in range(0, len(texts), size)]
        slots = asyncio.Semaphore(self.concurrency)

        async def ask(group: list[str]) -> None:
            async with slots:
                if isinstance(self.model, BatchEmbeddingModel):
                    outputs = await self.model.embed_batch(group, self.config)
                else:
                    outputs = [await self.model.embed(group[0], self.config)]
            self.stats.requests += 1
            self._store(group, outputs, keys, vectors)

        await asyncio.gather(*(ask(group) for group in groups))

    def _store(
        self,
        group: list[str],
        outputs: list[ModelOutput],
        keys: dict[str, str],
        vectors: dict[str, NDArray[np.float32]],
    ) -> None:
        self.stats.texts_sent += len(group)
        if outputs and outputs[0].usage is not None:
            self.stats.prompt_tokens += outputs[0].usage.prompt_tokens
        if outputs and outputs[0].error is None:
            self.stats.latency_s += outputs[0].latency_s
        received: dict[str, NDArray[np.float32]] = {}
        for position, text in enumerate(group):
            output = outputs[position] if position < len(outputs) else None
            if output is None or output.error is not None or output.embedding is None:
                reason = "the answer has no vector for it" if output is None or output.error is None else output.error
                self.stats.failures.append(reason)
                continue
            received[keys[text]] = vectors[text] = np.asarray(output.embedding, dtype=np.float32)
        if received and self.cache is not None:
            self.cache.put_many(received)
