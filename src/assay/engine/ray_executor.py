"""Generation on Ray actors (``--executor ray``, the ``assay[ray]`` extra); the driver journals and scores.

Each actor holds its own model client, built in the actor's process from the run's config exactly
as the driver builds its own. Work items are sharded by a stable key (benchmark, subset, sample,
repeat) with rendezvous hashing: an item goes to the live actor whose hash with the key is highest,
so the same items go to the same actors on every run, and when an actor dies only its items move.
The driver keeps ``eval_batch_size`` requests in flight across all actors, one Ray call per item,
and records every answer itself as it comes back (:func:`assay.engine.runner._record_answer`), so
the journal, resume, fingerprints and reports are the in-process run's. An actor that dies has its
in-flight items sent again to the actors still alive; its answers that never came back were never
journaled, so no item is journaled or scored twice. Repeats go one request each (never as ``n``).

Example:
    >>> from assay import TaskConfig, run_task
    >>> run_task(TaskConfig(model="qwen", api_url="http://127.0.0.1:8000/v1", datasets=["arc"],
    ...                     executor="ray", ray_actors=4))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from assay.config import TaskConfig
from assay.engine.requests import send
from assay.errors import UserError
from assay.types import GenerateConfig, ModelOutput, RequestKind, Sample

if TYPE_CHECKING:
    from assay.engine.plan import WorkItem
    from assay.engine.runner import RunState

logger = logging.getLogger("assay")

#: Seconds the driver waits for the actors to close their model clients at the end of a run.
_CLOSE_TIMEOUT_S = 10.0


def import_ray() -> Any:
    """The ``ray`` module, or a one-line ``UserError`` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise UserError("--executor ray needs Ray, which is not installed: pip install 'assay[ray]'") from None
    return ray


class GenerationActor:
    """One model client in a Ray actor's process (wrapped with ``ray.remote`` at run time)."""

    def __init__(self, config: TaskConfig) -> None:
        from assay.engine.checks import build_model

        self._model = build_model(config)

    async def answer(self, kind: RequestKind, sample: Sample, config: GenerateConfig) -> ModelOutput:
        """Ask the model what ``kind`` says about ``sample``, as the in-process engine does."""
        return await send(self._model, kind, sample, config)

    async def close(self) -> None:
        """Close the model client (its HTTP sessions, or a local model's resources)."""
        await self._model.aclose()


async def _resolve(ref: Any) -> Any:
    """The value of a Ray ``ObjectRef``, awaited on this loop (cheaper than a thread-backed future per call)."""
    return await ref


def shard_key(item: WorkItem) -> str:
    """The stable key an item is sharded by: the same on every run of the same config."""
    return f"{item.dataset.name}/{item.subset.name}/{item.key}"


def owner(key: str, live: list[int]) -> int:
    """The live actor that answers ``key``: rendezvous hashing, so an actor's death moves only its keys."""
    return max(live, key=lambda actor: hashlib.sha256(f"{actor}\0{key}".encode()).digest())


class RayExecutor:
    """Answers work items on ``ray_actors`` Ray actors; joins ``ray_address`` or starts a local Ray."""

    #: Called on the driver after each recorded answer (tests kill an actor from here mid-run).
    after_answer: ClassVar[Callable[[RayExecutor], None] | None] = None

    def __init__(self, config: TaskConfig) -> None:
        self._ray = import_ray()
        self._config = config
        #: Actor handles, by index; a dead actor keeps its place (indices are part of the shard hash).
        self.actors: list[Any] = []
        #: Indices of the actors still alive.
        self.live: list[int] = []
        #: Every request now in flight: its future, and the item and actor index it belongs to.
        self.in_flight: dict[asyncio.Future[Any], tuple[WorkItem, int]] = {}
        #: Answers recorded, and items sent again because their actor died.
        self.answered = 0
        self.reassigned = 0

    def in_flight_on(self, actor: int) -> int:
        """How many requests are in flight on actor ``actor``."""
        return sum(1 for _, index in self.in_flight.values() if index == actor)

    async def run(self, state: RunState, pending: list[WorkItem]) -> None:
        """Answer ``pending`` on the actors; start (and at the end stop) a local Ray if none is running."""
        started = self._connect()
        try:
            self._start_actors()
            await self._answer_all(state, pending)
        except BaseException:
            for task in state.scoring:
                task.cancel()
            raise
        finally:
            await self._stop(started)

    def _connect(self) -> bool:
        """Join ``ray_address``, or start a local Ray; True when this run started it (and must stop it)."""
        ray = self._ray
        if ray.is_initialized():
            return False
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self._config.ray_address:
            try:
                ray.init(address=self._config.ray_address, **options)
            except ConnectionError as exc:
                reason = " ".join(str(exc).split())  # one line, as every UserError
                raise UserError(
                    f"could not join the Ray cluster at --ray-address {self._config.ray_address}: {reason}"
                ) from exc
        else:
            ray.init(include_dashboard=False, **options)
        return True

    def _start_actors(self) -> None:
        ray = self._ray
        count = self._config.ray_actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        # An API client waits on the network: it takes no CPU slot, so 4 actors fit a 2-CPU Ray.
        remote = ray.remote(GenerationActor).options(num_cpus=0, scheduling_strategy="SPREAD")
        self.actors = [remote.remote(self._config) for _ in range(count)]
        self.live = list(range(count))
        logger.info("running generation on %d Ray actors", count)

    async def _answer_all(self, state: RunState, pending: list[WorkItem]) -> None:
        from assay.engine.runner import _raise_scoring_error, _record_answer, _start_clock

        ray = self._ray
        state.ask_n = False  # one request per item: an item is the unit that is sharded and reassigned
        queue = deque(pending)
        limit = self._config.eval_batch_size or 1
        while queue or self.in_flight:
            _raise_scoring_error(state)  # a review that could not be written stops the run: ask nothing more
            while queue and len(self.in_flight) < limit:
                item = queue.popleft()
                actor = owner(shard_key(item), self.live)
                _start_clock(state, item)
                plan = item.dataset
                ref = self.actors[actor].answer.remote(plan.request_kind, item.sample, plan.generate_config)
                self.in_flight[asyncio.ensure_future(_resolve(ref))] = (item, actor)
            done, _ = await asyncio.wait(self.in_flight, return_when=asyncio.FIRST_COMPLETED)
            for future in done:
                item, actor = self.in_flight.pop(future)
                try:
                    output = future.result()
                except ray.exceptions.RayActorError as exc:
                    self._lose(actor, exc)
                    queue.appendleft(item)  # never journaled: it is asked again, on a live actor
                    self.reassigned += 1
                    continue
                _record_answer(state, item, output)
                self.answered += 1
                hook = type(self).after_answer
                if hook is not None:
                    hook(self)

    def _lose(self, actor: int, exc: BaseException) -> None:
        if actor not in self.live:
            return
        self.live.remove(actor)
        if not self.live:
            reason = " ".join(str(exc).split())[:300]  # one line, as every UserError
            raise UserError(f"every Ray actor died; the last one: {reason}")
        logger.warning("Ray actor %d died (%s); its items go to the %d others", actor, exc, len(self.live))

    async def _stop(self, started: bool) -> None:
        ray = self._ray
        for future in self.in_flight:
            future.cancel()
        self.in_flight.clear()
        closing = [asyncio.wrap_future(self.actors[i].close.remote().future()) for i in self.live]
        if closing:
            await asyncio.wait(closing, timeout=_CLOSE_TIMEOUT_S)
            for future in closing:
                if future.done() and not future.cancelled():
                    future.exception()  # a client that failed to close costs nothing: the actor is killed next
                else:
                    future.cancel()
        for handle in self.actors:
            ray.kill(handle)
        if started:
            ray.shutdown()
