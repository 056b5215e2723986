"""Backend for a local embedding model run in-process with sentence-transformers (``assay[embed]``).

The model (a local folder holding ``modules.json``, or a hub id) loads once, in a worker thread, on
:meth:`SentenceTransformersModel.check` or the first request. Vectors are computed in a worker thread
with ``SentenceTransformer.encode``, one forward pass at a time: a batch from the embedding encoder
(:meth:`~SentenceTransformersModel.embed_batch`) runs as it is, and single :meth:`embed` calls that
arrive together share one ``encode`` (:class:`~assay.models._batching.DynamicBatcher`).

``dimensions`` (a ``GenerateConfig`` extra, as for ``/v1/embeddings``) truncates each vector to its
first ``dimensions`` values (sentence-transformers' ``truncate_dim``, the Matryoshka convention);
more dimensions than the model has is an error, never a silently full-size vector.

sentence-transformers and torch are imported only when the model loads, so ``assay --help`` stays
instant.

Example:
    >>> import asyncio
    >>> from assay.types import GenerateConfig
    >>> model = SentenceTransformersModel("path/to/all-MiniLM-L6-v2", normalize=True)
    >>> async def vector() -> list[float] | None:  # doctest: +SKIP
    ...     await model.check()
    ...     out = await model.embed("The Seine flows through Paris.", GenerateConfig())
    ...     await model.aclose()
    ...     return out.embedding
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assay.errors import UserError
from assay.models._api import register_model_api
from assay.models._batching import DynamicBatcher
from assay.models.llm_ckpt_load import first_line
from assay.types import ChatMessage, GenerateConfig, ModelOutput, Usage

logger = logging.getLogger(__name__)

__all__ = ["INSTALL_HINT", "SentenceTransformersModel"]

INSTALL_HINT = "pip install 'assay[embed]'"


@dataclass(frozen=True)
class _Request:
    text: str
    dimensions: int | None


@register_model_api("sentence_transformers")
class SentenceTransformersModel:
    """An embedding model loaded with ``sentence_transformers.SentenceTransformer``.

    Args:
        model: A local sentence-transformers folder (with ``modules.json``) or a hub id.
        api_url: Must be empty: the model runs in-process.
        api_key: Ignored.
        device: ``cpu``, ``cuda``, ``cuda:1``, ...; default: sentence-transformers' choice (a GPU
            when there is one).
        batch_size: Texts per forward pass inside one ``encode`` call.
        normalize: Scale every vector to unit length (after truncation to ``dimensions``).
        trust_remote_code: Allow model code shipped with the checkpoint.
        **model_args: Anything else is ignored with a warning.
    """

    def __init__(
        self,
        model: str,
        api_url: str | None = None,
        api_key: str | None = None,
        *,
        device: str | None = None,
        batch_size: int = 32,
        normalize: bool = False,
        trust_remote_code: bool = False,
        **model_args: Any,
    ) -> None:
        if api_url:
            raise UserError(
                f"the sentence_transformers backend runs the model in-process; drop --api-url {api_url} "
                "or use openai_api"
            )
        if batch_size < 1:
            raise UserError(f"model_args.batch_size must be at least 1, got {batch_size}")
        if model_args:
            logger.warning("sentence_transformers ignores these model_args: %s", ", ".join(sorted(model_args)))
        self.model_name = model
        self._device = device
        self._batch_size = batch_size
        self._normalize = normalize
        self._trust_remote_code = trust_remote_code
        self._model: Any = None
        self._dimension = 0  # the model's full vector length, known once loaded
        self._load_lock: asyncio.Lock | None = None
        # One forward pass at a time: two encode calls at once would only fight over the same cores or GPU.
        self._compute_lock = threading.Lock()
        self._batcher: DynamicBatcher[_Request, ModelOutput] = DynamicBatcher(
            self._encode_requests, max_batch_size=batch_size, key=lambda r: r.dimensions
        )

    def __repr__(self) -> str:
        return f"SentenceTransformersModel(model={self.model_name!r})"

    # ------------------------------------------------------------------ ModelAPI
    async def check(self) -> None:
        """Load the model now (in a thread), so a missing package or a bad path shows before any text is sent."""
        await self._ensure_loaded()

    async def generate(self, input: list[ChatMessage] | str, config: GenerateConfig) -> ModelOutput:
        """Refused: an embedding model writes no text."""
        raise UserError(f"{self.model_name} is an embedding model; run it with eval_type embedding")

    async def aclose(self) -> None:
        """Stop the batcher of single ``embed`` calls; the weights stay loaded until the object is dropped."""
        await self._batcher.aclose()

    # ------------------------------------------------------------------ EmbeddingModel
    async def embed(self, text: str, config: GenerateConfig) -> ModelOutput:
        """The embedding of ``text``; concurrent calls with the same ``dimensions`` share one ``encode``.

        Raises:
            UserError: the model cannot be loaded, or ``dimensions`` is not a length it can give.
        """
        await self._ensure_loaded()
        return await self._batcher.submit(_Request(text, self._dimensions(config)))

    async def embed_batch(self, texts: Sequence[str], config: GenerateConfig) -> list[ModelOutput]:
        """One output per text, in order, from one ``encode`` in a worker thread.

        The first output carries the batch's usage (prompt tokens of all its texts); every output
        carries the batch's wall time. A failed ``encode`` gives outputs with ``error`` set.

        Raises:
            UserError: the model cannot be loaded, or ``dimensions`` is not a length it can give.
        """
        await self._ensure_loaded()
        dimensions = self._dimensions(config)
        return await asyncio.to_thread(self._encode, list(texts), dimensions)

    # ------------------------------------------------------------------ computing
    def _dimensions(self, config: GenerateConfig) -> int | None:
        """The ``dimensions`` asked for, checked against the loaded model; None = the full vector."""
        value = config.request_extras().get("dimensions")
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UserError(f"dimensions must be a positive integer, got {value!r}")
        if value > self._dimension:
            raise UserError(
                f"{self.model_name} gives {self._dimension}-dimensional vectors; it cannot give dimensions={value}"
            )
        return value

    def _encode_requests(self, requests: list[_Request]) -> list[ModelOutput]:
        # The batcher groups requests by dimensions, so the first one's is the batch's.
        return self._encode([r.text for r in requests], requests[0].dimensions)

    def _encode(self, texts: list[str], dimensions: int | None) -> list[ModelOutput]:
        """Vectors of ``texts`` (blocking); an exception becomes an error on every output."""
        if not texts:
            return []
        start = time.perf_counter()
        try:
            with self._compute_lock:
                vectors = self._model.encode(
                    texts,
                    batch_size=self._batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=self._normalize,
                    truncate_dim=dimensions,
                    show_progress_bar=False,
                )
        except Exception as exc:  # a local failure is not retried: say it on every text of the batch
            error = f"{type(exc).__name__}: {first_line(exc)}"
            return [ModelOutput(error=error) for _ in texts]
        latency = time.perf_counter() - start
        tokens = self._prompt_tokens(texts)
        usage = Usage(prompt_tokens=tokens, completion_tokens=0, total_tokens=tokens)
        return [
            ModelOutput(embedding=[float(x) for x in vector], usage=usage if row == 0 else None, latency_s=latency)
            for row, vector in enumerate(vectors)
        ]

    def _prompt_tokens(self, texts: list[str]) -> int:
        """Tokens the model reads for ``texts`` (special tokens and truncation included); 0 if it has no tokenizer."""
        try:
            mask = self._model.tokenize(texts).get("attention_mask")
        except Exception:  # a module without a tokenizer (e.g. static word vectors): usage unknown
            return 0
        return int(mask.sum()) if mask is not None else 0

    # ------------------------------------------------------------------ loading
    async def _ensure_loaded(self) -> None:
        if self._model is not None:
            return
        if self._load_lock is None:
            self._load_lock = asyncio.Lock()
        async with self._load_lock:
            if self._model is None:
                await asyncio.to_thread(self.load)

    def load(self) -> None:
        """Load the model (blocking); :meth:`check` does it in a thread.

        Raises:
            UserError: sentence-transformers is not installed, or the model cannot be loaded.
        """
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise UserError(
                f"the sentence_transformers backend needs sentence-transformers and torch ({first_line(exc)}); "
                f"install them with: {INSTALL_HINT}"
            ) from exc
        try:
            model = SentenceTransformer(self.model_name, device=self._device, trust_remote_code=self._trust_remote_code)
        except Exception as exc:  # a bad path, a hub id offline, a broken folder: one clear message
            raise UserError(
                f"cannot load sentence-transformers model {self.model_name!r}: {type(exc).__name__}: {first_line(exc)}"
            ) from exc
        dimension = _embedding_dimension(model)
        if dimension is None:
            raise UserError(f"{self.model_name} does not say how long its vectors are; it cannot be an embedding model")
        self._dimension = dimension
        self._model = model


def _embedding_dimension(model: Any) -> int | None:
    # Newer sentence-transformers renamed get_sentence_embedding_dimension (now deprecated) to get_embedding_dimension.
    read = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    dimension = read()
    return int(dimension) if dimension is not None else None
