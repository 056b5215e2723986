"""The Ray actor of ``assay eval --executor ray``: one model, its requests, and CPU-heavy scoring.

The driver talks to an actor in batches, not one call per item: :meth:`GenerationActor.submit`
hands over any number of items at once and returns at once; :meth:`GenerationActor.collect`
returns every answer finished since the last collect (waiting for the first one). Under load one
collect carries many answers, so Ray's fixed cost per call (a few ms on a busy machine) is paid per
batch rather than per item, and an answer still reaches the driver as soon as it asks after it.

Benchmarks whose scorers are CPU-heavy (SymPy equivalence, running model-written code) are scored
here, beside the model, with the actor's own :class:`~assay.scoring.context.ScoringContext` (and
sandbox): the cluster's cores do that work, not the driver's. The verdict travels back with the
answer and the driver journals both; :func:`~assay.scoring.scorer.score_or_error` is the one
scoring path on either side, so a verdict does not depend on where it was reached.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assay.config import TaskConfig
from assay.engine.requests import send
from assay.scoring.scorer import score_or_error
from assay.types import GenerateConfig, ModelOutput, RequestKind, Sample, Score

if TYPE_CHECKING:
    from assay.scoring.context import ScoringContext
    from assay.scoring.filters import TextFilter
    from assay.scoring.scorer import Scorer

#: Seconds a collect lingers after the first answer for others finishing at the same moment.
_LINGER_S = 0.002

#: One item for an actor: token, request kind, sample, generation config, and the name of the
#: :class:`ScoringSpec` to score it with (None: the driver scores it).
Job = tuple[int, RequestKind, Sample, GenerateConfig, str | None]
#: One finished item: token, the answer, the actor's verdict (or None), or the exception it raised.
Done = tuple[int, ModelOutput | None, Score | None, BaseException | None]


@dataclass(frozen=True)
class ScoringSpec:
    """What an actor needs to score one benchmark's answers: its scorers and answer filters."""

    name: str
    scorers: list[Scorer]
    filters: list[TextFilter]

    @property
    def uses_sandbox(self) -> bool:
        """Whether a scorer runs model-written code (the actor then opens a sandbox of its own)."""
        return any(getattr(scorer, "uses_sandbox", False) for scorer in self.scorers)


class GenerationActor:
    """One model in a Ray actor's process (wrapped with ``ray.remote`` at run time)."""

    def __init__(self, config: TaskConfig) -> None:
        from assay.engine.checks import build_model

        self._config = config
        self._model = build_model(config)
        self._done: list[Done] = []
        self._ready: asyncio.Event | None = None  # made on the actor's own loop, on first use
        self._tasks: set[asyncio.Task[None]] = set()
        self._specs: dict[str, ScoringSpec] = {}
        self._scoring: ScoringContext | None = None

    def _event(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    async def ready(self, config: GenerateConfig) -> None:
        """The backend's start-up check, from this actor's node: a server it cannot reach, a key it
        lacks or weights that do not load show here, before any item, not midway through the run.
        The driver awaits every actor's, so start-up (imports, weights) is not timed as work."""
        from assay.models._api import check_model

        await check_model(self._model, config)

    async def submit(self, batch: list[Job], specs: dict[str, ScoringSpec]) -> int:
        """Start every item of ``batch`` and return at once; ``specs`` holds the scoring its items name.

        The specs come with every batch that needs them (they are small), so no call ordering
        between Ray calls is assumed.
        """
        self._specs.update(specs)
        for job in batch:
            task = asyncio.ensure_future(self._answer(*job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(batch)

    async def _answer(
        self, token: int, kind: RequestKind, sample: Sample, config: GenerateConfig, spec: str | None
    ) -> None:
        # Everything is awaited before ``self._done`` is looked up: collect swaps in a new list
        # meanwhile, and an append bound to the old list before an await would be lost.
        try:
            output = await send(self._model, kind, sample, config)
            score = await self._score(self._specs[spec], sample, output) if spec is not None else None
        except Exception as exc:  # goes back to the driver, which stops the run as the local engine would
            self._done.append((token, None, None, exc))
        else:
            self._done.append((token, output, score, None))
        self._event().set()

    async def _score(self, spec: ScoringSpec, sample: Sample, output: ModelOutput) -> Score:
        if self._scoring is None:
            from assay.scoring.context import ScoringContext

            self._scoring = ScoringContext()
        if spec.uses_sandbox and self._scoring.sandbox is None:
            from assay.sandbox import build_sandbox

            self._scoring.sandbox = build_sandbox(self._config.sandbox)
        return await score_or_error(
            f"{spec.name} {sample.id}", spec.scorers, spec.filters, sample, output, self._scoring
        )

    async def collect(self, wait_s: float) -> list[Done]:
        """Every item finished since the last collect; waits up to ``wait_s`` for the first one."""
        event = self._event()
        if not self._done:
            event.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), wait_s)
            await asyncio.sleep(_LINGER_S)  # answers finishing together leave in one call, not one call each
        done, self._done = self._done, []
        return done

    async def scoring_info(self) -> dict[str, Any]:
        """What this actor scored with (tests check that scoring really ran here)."""
        return {"specs": sorted(self._specs), "context": self._scoring is not None}

    async def close(self) -> None:
        """Cancel what is still running, then close the model and the scoring resources."""
        for task in list(self._tasks):
            task.cancel()
        await self._model.aclose()
        if self._scoring is not None:
            await self._scoring.aclose()
