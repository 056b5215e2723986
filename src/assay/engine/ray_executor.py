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
import itertools
import logging
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from assay.config import TaskConfig
from assay.engine.ray_actor import GenerationActor, Job, ScoringSpec
from assay.engine.ray_cluster import connect, disconnect, import_ray
from assay.engine.ray_placement import actor_placement, check_resources, default_actor_count, describe
from assay.errors import UserError

if TYPE_CHECKING:
    from assay.engine.plan import DatasetPlan, WorkItem
    from assay.engine.runner import RunState

logger = logging.getLogger("assay")

#: Seconds the driver waits for the actors to close their model clients at the end of a run.
_CLOSE_TIMEOUT_S = 10.0
#: Seconds one collect call waits for an answer before returning empty (the driver then asks again).
_COLLECT_WAIT_S = 2.0


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
        #: Every item now in flight (submitted, its answer not yet collected), by token: the item
        #: and the index of the actor that has it.
        self.in_flight: dict[int, tuple[WorkItem, int]] = {}
        #: Answers recorded, items sent again because their actor died, and collect calls answered
        #: (``answered / collects`` is the mean batch an answer came back in).
        self.answered = 0
        self.reassigned = 0
        self.collects = 0
        #: Answers that came back already scored by their actor (CPU-heavy benchmarks).
        self.scored_on_actors = 0
        self._tokens = itertools.count()
        #: Benchmarks the actors score (by name), and those the driver scores.
        self._specs: dict[str, ScoringSpec] = {}
        self._driver_scored: set[str] = set()

    def in_flight_on(self, actor: int) -> int:
        """How many items are in flight on actor ``actor``."""
        return sum(1 for _, index in self.in_flight.values() if index == actor)

    async def run(self, state: RunState, pending: list[WorkItem]) -> None:
        """Answer ``pending`` on the actors; start (and at the end stop) a local Ray if none is running."""
        started = connect(self._ray, self._config.ray_address)
        try:
            await self._start_actors()
            await self._answer_all(state, pending)
        except BaseException:
            for task in state.scoring:
                task.cancel()
            raise
        finally:
            await self._stop(started)

    async def _start_actors(self) -> None:
        ray = self._ray
        placement = actor_placement(self._config)
        count = self._config.ray_actors or default_actor_count(placement, ray.cluster_resources())
        check_resources(placement, count, ray.cluster_resources())
        remote = ray.remote(GenerationActor).options(scheduling_strategy="SPREAD", **placement)
        self.actors = [remote.remote(self._config) for _ in range(count)]
        self.live = list(range(count))
        started = time.perf_counter()
        config = self._config.generation_config
        try:
            await asyncio.gather(*(_resolve(actor.ready.remote(config)) for actor in self.actors))
        except self._ray.exceptions.RayTaskError as exc:  # the actor's own check: its node's view of the model
            cause = exc.cause if isinstance(exc.cause, UserError) else exc
            raise UserError(f"a Ray actor's start-up check failed: {' '.join(str(cause).split())[:400]}") from exc
        except self._ray.exceptions.RayActorError as exc:  # e.g. a node without assay
            reason = " ".join(str(exc).split())[:400]  # one line, as every UserError
            raise UserError(
                f"a Ray actor could not start (is the same assay installed on every node?): {reason}"
            ) from exc
        logger.info(
            "running generation on %d Ray actors (%s each), started in %.1f s",
            count,
            describe(placement),
            time.perf_counter() - started,
        )

    async def _answer_all(self, state: RunState, pending: list[WorkItem]) -> None:
        from assay.engine.runner import _raise_scoring_error

        state.ask_n = False  # one request per item: an item is the unit that is sharded and reassigned
        queue = deque(pending)
        limit = self._config.eval_batch_size or 1
        #: The one outstanding call per actor that is waited on: a collect, or a submit not yet confirmed.
        calls: dict[asyncio.Future[Any], tuple[str, int]] = {}
        try:
            while queue or self.in_flight:
                _raise_scoring_error(state)  # a review that could not be written stops the run: ask nothing more
                for actor, batch in self._fill(state, queue, limit).items():
                    specs = {name: self._specs[name] for name in {job[4] for job in batch} if name is not None}
                    ref = self.actors[actor].submit.remote(batch, specs)
                    calls[asyncio.ensure_future(_resolve(ref))] = ("submit", actor)
                collecting = {actor for kind, actor in calls.values() if kind == "collect"}
                for actor in {index for _, index in self.in_flight.values()} - collecting:
                    ref = self.actors[actor].collect.remote(_COLLECT_WAIT_S)
                    calls[asyncio.ensure_future(_resolve(ref))] = ("collect", actor)
                done, _ = await asyncio.wait(calls, return_when=asyncio.FIRST_COMPLETED)
                for future in done:
                    kind, actor = calls.pop(future)
                    self._take(state, queue, kind, actor, future)
        finally:
            for future in calls:
                future.cancel()

    def _fill(self, state: RunState, queue: deque[WorkItem], limit: int) -> dict[int, list[Job]]:
        """Take items off ``queue`` up to ``limit`` in flight, grouped by the actor that owns each."""
        from assay.engine.runner import _start_clock

        batches: dict[int, list[Job]] = defaultdict(list)
        while queue and len(self.in_flight) < limit:
            item = queue.popleft()
            actor = owner(shard_key(item), self.live)
            token = next(self._tokens)
            self.in_flight[token] = (item, actor)
            _start_clock(state, item)
            plan = item.dataset
            spec = self._scoring_spec(plan)
            batches[actor].append((token, plan.request_kind, item.sample, plan.generate_config, spec))
        return batches

    def _scoring_spec(self, plan: DatasetPlan) -> str | None:
        """The name of the spec the actors score ``plan`` with, or None when the driver scores it.

        Actors score a plan when one of its scorers is CPU-heavy (``cpu_heavy``: SymPy, code
        execution) and none asks the LLM judge, which lives on the driver with its cache and its
        cost accounting (``ray_scoring``: ``auto``; ``actors`` / ``driver`` force either side).
        """
        if plan.name not in self._specs and plan.name not in self._driver_scored:
            mode = self._config.ray_scoring
            heavy = any(getattr(scorer, "cpu_heavy", False) for scorer in plan.scorers)
            if not plan.judged and (mode == "actors" or (mode == "auto" and heavy)):
                self._specs[plan.name] = ScoringSpec(plan.name, list(plan.scorers), list(plan.adapter.filters))
            else:
                self._driver_scored.add(plan.name)
        return plan.name if plan.name in self._specs else None

    def _take(
        self, state: RunState, queue: deque[WorkItem], kind: str, actor: int, future: asyncio.Future[Any]
    ) -> None:
        """Record what one finished call brought back, or move a dead actor's items to the living."""
        from assay.engine.runner import _record_answer

        try:
            result = future.result()
        except self._ray.exceptions.RayActorError as exc:
            self._lose(actor, exc)
            lost = [token for token, (_, index) in self.in_flight.items() if index == actor]
            for token in reversed(lost):  # never journaled: asked again, first, on the live actors
                queue.appendleft(self.in_flight.pop(token)[0])
            self.reassigned += len(lost)
            return
        if kind == "submit":
            return
        self.collects += 1
        for token, output, score, error in result:
            item, _ = self.in_flight.pop(token)
            if error is not None:
                raise error
            _record_answer(state, item, output, score)
            self.scored_on_actors += score is not None
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
        self.in_flight.clear()
        if self.answered:
            logger.info("Ray: %d answers in %d collects", self.answered, self.collects)
        closing = [asyncio.ensure_future(_resolve(self.actors[i].close.remote())) for i in self.live]
        if closing:
            await asyncio.wait(closing, timeout=_CLOSE_TIMEOUT_S)
            for future in closing:
                if future.done() and not future.cancelled():
                    future.exception()  # a client that failed to close costs nothing: the actor is killed next
                else:
                    future.cancel()
        for handle in self.actors:
            ray.kill(handle)
        disconnect(ray, started)
