"""Dynamic batching for in-process backends: whatever requests are waiting run as one batch.

The engine keeps ``eval_batch_size`` requests in flight, each an independent coroutine. A local
model is fastest when those requests share one forward pass, so a backend hands each request to a
:class:`DynamicBatcher`: requests join a queue, and one drainer task per event loop takes what is
waiting (at most ``max_batch_size``, and only requests whose ``key`` matches, e.g. the same
generation settings) and runs the backend's batch function in a worker thread, where torch releases
the GIL so the event loop keeps journaling and scoring meanwhile.

Example:
    >>> import asyncio
    >>> async def main() -> list[int]:
    ...     batcher = DynamicBatcher(lambda items: [x * 10 for x in items])
    ...     try:
    ...         return list(await asyncio.gather(*(batcher.submit(i) for i in range(3))))
    ...     finally:
    ...         await batcher.aclose()
    >>> asyncio.run(main())
    [0, 10, 20]
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

#: Loop iterations without a new request after which a batch starts (each costs microseconds).
SETTLE_QUIET_ITERATIONS = 4
MAX_SETTLE_ITERATIONS = 64


@dataclass
class _Pending(Generic[Item, Result]):
    item: Item
    key: Hashable
    future: asyncio.Future[Result]


class DynamicBatcher(Generic[Item, Result]):
    """Runs ``run_batch(items) -> results`` (same order) on batches of concurrently submitted items.

    Args:
        run_batch: Blocking function run in a worker thread; one result per item, in order. An
            exception fails every item of that batch (and only that batch).
        max_batch_size: Most items per batch; None = whatever is waiting.
        key: Items with different keys never share a batch (e.g. different sampling settings).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Item]], list[Result]],
        *,
        max_batch_size: int | None = None,
        key: Callable[[Item], Hashable] = lambda item: None,
    ) -> None:
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self._run_batch = run_batch
        self.max_batch_size = max_batch_size
        self._key = key
        self._pending: list[_Pending[Item, Result]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` for the next batch and wait for its result."""
        loop = asyncio.get_running_loop()
        self._pending.append(_Pending(item, self._key(item), loop.create_future()))
        future = self._pending[-1].future
        if self._drainer is None or self._drainer.done() or self._drainer.get_loop() is not loop:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def aclose(self) -> None:
        """Stop the drainer (queued items fail with CancelledError)."""
        if self._drainer is not None and not self._drainer.done():
            self._drainer.cancel()
        self._drainer = None

    async def _drain(self) -> None:
        while self._pending:
            await self._let_waiting_requests_arrive()
            batch = self._take_batch()
            logger.debug("batch of %d (%d still waiting)", len(batch), len(self._pending))
            try:
                results = await asyncio.to_thread(self._run_batch, [p.item for p in batch])
            except BaseException as exc:
                for pending in batch:
                    if not pending.future.done():
                        pending.future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for pending, result in zip(batch, results, strict=True):
                if not pending.future.done():
                    pending.future.set_result(result)

    async def _let_waiting_requests_arrive(self) -> None:
        # Callers woken by the last batch's results come back with their next request a few loop
        # iterations later (the engine's workers take one, a semaphore-guarded caller two). Yield
        # until the queue has stopped growing for several iterations, so they join this batch.
        quiet = 0
        for _ in range(MAX_SETTLE_ITERATIONS):
            if self.max_batch_size is not None and len(self._pending) >= self.max_batch_size:
                return
            before = len(self._pending)
            await asyncio.sleep(0)
            quiet = quiet + 1 if len(self._pending) == before else 0
            if quiet >= SETTLE_QUIET_ITERATIONS:
                return

    def _take_batch(self) -> list[_Pending[Item, Result]]:
        key = self._pending[0].key
        limit = self.max_batch_size or len(self._pending)
        batch = [p for p in self._pending if p.key == key][:limit]
        taken = {id(p) for p in batch}
        self._pending = [p for p in self._pending if id(p) not in taken]
        return batch
