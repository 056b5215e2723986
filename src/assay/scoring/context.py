"""``ScoringContext``: the resources scorers share for one run, opened once and closed once.

Scorers are small and stateless; what is expensive lives here, owned by the engine for the run:

* ``pool``: a :class:`~assay.scoring.pool.TimeLimitedPool` of worker processes for work that may run
  away (SymPy answer extraction and equivalence now, code execution next), started on first use;
* ``math``: the Math-Verify equivalence check on that pool;
* :meth:`run_cpu`: a thread pool sized to the cores for CPU work that cannot hang (text metrics,
  IFEval's checkers), so it never runs on the event loop and never oversubscribes the machine;
* ``cache``: a dict scorers may keep run-wide memo tables in;
* ``judge`` and ``sandbox``: slots for an LLM judge and a code sandbox, filled by their features.

Scoring concurrency is bounded by these resources, not by a fixed number: a scorer waiting for a
pool worker or a CPU thread costs only a suspended coroutine.

Example:
    >>> import asyncio
    >>> async def main() -> bool | None:
    ...     async with ScoringContext() as ctx:
    ...         return await ctx.math.equal("\\\\frac{1}{2}", "0.5")
    >>> asyncio.run(main())
    True
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from assay.scoring.pool import TimeLimitedPool, default_workers

if TYPE_CHECKING:
    from assay.judge.service import Judge
    from assay.sandbox import Sandbox

R = TypeVar("R")

#: Seconds Math-Verify may spend extracting an answer (EvalScope gives it 30 s before excluding).
MATH_EXTRACT_TIMEOUT_S = 30.0
#: Seconds Math-Verify may spend on one equivalence check.
MATH_COMPARE_TIMEOUT_S = 5.0


class ScoringContext:
    """Run-scoped scoring resources; use as ``async with`` (or call :meth:`aclose` yourself).

    Safe to use from several event loops in turn (tests score with ``asyncio.run`` per call): the
    pools are thread- and process-based, and nothing here binds to a loop.

    Args:
        workers: Processes in the worker pool and threads in the CPU pool; default: the usable
            cores, at most 2.
        math_timeout_s: Time limit of one Math-Verify equivalence check.
        extract_timeout_s: Time limit of one Math-Verify answer extraction.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        math_timeout_s: float = MATH_COMPARE_TIMEOUT_S,
        extract_timeout_s: float = MATH_EXTRACT_TIMEOUT_S,
    ) -> None:
        from assay.scoring.math_equiv import MathVerifier, warm_up_math_verify

        self.workers = workers or default_workers()
        self.extract_timeout_s = extract_timeout_s
        self.pool = TimeLimitedPool(workers=self.workers, warm_up=warm_up_math_verify, name="math-verify")
        self.math = MathVerifier(timeout_s=math_timeout_s, pool=self.pool)
        self.cache: dict[str, Any] = {}
        #: The LLM judge of this run (set by the engine when a benchmark is judged), else None.
        self.judge: Judge | None = None
        #: The code-execution sandbox of this run (set by the engine for code benchmarks), else None.
        self.sandbox: Sandbox | None = None
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._closed = False

    async def run_cpu(self, func: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run ``func(*args, **kwargs)`` on the CPU thread pool (off the event loop)."""
        if self._threads is None:
            self._threads = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="assay-scoring"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, functools.partial(func, *args, **kwargs))

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` (or :meth:`close`) ran."""
        return self._closed

    def close(self, *, kill: bool = False) -> None:
        """Stop the worker processes and threads (idempotent).

        Running calls finish or time out; with ``kill`` (an interrupted or failed run) the worker
        processes are killed at once instead.
        """
        if self._closed:
            return
        self._closed = True
        self.pool.close(kill=kill)
        if self._threads is not None:
            self._threads.shutdown(wait=not kill, cancel_futures=True)

    async def aclose(self, *, kill: bool = False) -> None:
        """:meth:`close` without blocking the event loop (also the ``async with`` exit)."""
        await asyncio.get_running_loop().run_in_executor(None, functools.partial(self.close, kill=kill))

    async def __aenter__(self) -> ScoringContext:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose(kill=exc is not None)
