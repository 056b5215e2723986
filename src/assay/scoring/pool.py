"""Worker processes that run module-level functions with a hard time limit on every call.

Scoring runs code that can take seconds or never return: SymPy inside Math-Verify (answer
extraction and equivalence), and next, untrusted model-written code. A thread cannot be stopped
from outside, and ``concurrent.futures.ProcessPoolExecutor`` cannot cancel a call that has started,
so a runaway call would hold a core for the rest of the run. :class:`TimeLimitedPool` runs each
call in a worker process with its own clock:

* the worker interrupts an overrunning call itself (``SIGALRM``), answers :class:`TimedOut` and
  stays alive, which is the usual case (pure-Python loops and regex backtracking check signals);
* when C code holds on past a grace period, the parent kills that worker and starts a new one on
  the next call; calls queued or running in other workers are untouched;
* a worker that dies makes its call raise :class:`WorkerDiedError`; the next call gets a new worker.

Workers are fresh ``python -c`` interpreters talking over two pipes (POSIX), never ``multiprocessing``
children: spawn-style children re-import the caller's ``__main__``, which reruns a user's
``run_task(...)`` script that lacks an ``if __name__ == "__main__"`` guard (EvalScope's documented
usage), and fork is unsafe with the engine's threads. Windows has neither pass-able pipe fds nor
fork, so there a worker is a ``spawn`` child and scripts need the guard, as usual on Windows.

Example:
    >>> import asyncio, operator
    >>> async def main() -> object:
    ...     pool = TimeLimitedPool(workers=1)
    ...     try:
    ...         return await pool.call(operator.add, 2, 3, timeout_s=5)
    ...     finally:
    ...         await pool.aclose()
    >>> asyncio.run(main())
    5
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from assay.scoring._pool_worker import Reply, WorkerProcess, function_ref, resolve

__all__ = ["TimeLimitedPool", "TimedOut", "WorkerCallError", "WorkerDiedError", "function_ref"]


@dataclass(frozen=True)
class TimedOut:
    """What a call returns when it ran out of time (a value, not an exception: it is a verdict)."""

    seconds: float


class WorkerDiedError(Exception):
    """The worker process running a call died (or could not start); the call has no result."""


class WorkerCallError(Exception):
    """A call raised an exception whose class cannot be rebuilt in the parent; ``kind`` names it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class _Job:
    ref: str
    args: tuple[Any, ...]
    timeout_s: float
    future: Future[Any] = field(default_factory=Future)


_STOP = object()


class _Slot:
    """One worker process and the parent thread that feeds it, one call at a time.

    A thread per worker (rather than a shared dispatcher) is what makes the time limit exact and
    cheap: the clock starts when the worker receives the call, not when it is queued, and an
    overrun kills only that worker.
    """

    def __init__(self, pool: TimeLimitedPool, index: int) -> None:
        self._pool = pool
        self.worker: WorkerProcess | None = None
        self.thread = threading.Thread(target=self._run, name=f"assay-pool-{index}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        jobs = self._pool._jobs
        try:
            while True:
                job = jobs.get()
                if not isinstance(job, _Job):  # _STOP
                    return
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    job.future.set_result(self._call(job))
                except BaseException as exc:
                    job.future.set_exception(exc)
        finally:
            if self.worker is not None:
                self.worker.stop()

    def _call(self, job: _Job) -> Any:
        worker = self._ensure_worker()
        pool = self._pool
        try:
            worker.writer.send((job.ref, job.args, job.timeout_s))
            if not worker.reader.poll(job.timeout_s + pool.kill_grace_s):
                # The worker's own timer did not get through (C code holding on): only a kill stops it.
                self._discard_worker()
                pool._count("timeouts")
                return TimedOut(job.timeout_s)
            reply: Reply = worker.reader.recv()
        except (EOFError, OSError) as exc:
            self._discard_worker()
            raise WorkerDiedError(f"{pool.name} worker process died") from exc
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "timeout":
            pool._count("timeouts")
            return TimedOut(job.timeout_s)
        raise _rebuild_exception(reply[1], reply[2])

    def _ensure_worker(self) -> WorkerProcess:
        if self.worker is not None and self.worker.is_alive():
            return self.worker
        self._discard_worker()
        pool = self._pool
        try:
            worker = WorkerProcess(pool.warm_up)
        except OSError as exc:
            raise WorkerDiedError(f"could not start a {pool.name} worker process: {exc}") from exc
        self.worker = worker
        try:
            ready = worker.reader.poll(pool.startup_timeout_s) and worker.reader.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._discard_worker()
            raise WorkerDiedError(f"{pool.name} worker process failed to start")
        return worker

    def _discard_worker(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.kill()


def _rebuild_exception(kind: str, message: str) -> Exception:
    """The worker's exception as its own class when that class takes a message, else WorkerCallError."""
    try:
        cls = resolve(kind)
        if isinstance(cls, type) and issubclass(cls, Exception):
            return cls(message)
    except Exception:  # not importable here, or a constructor that wants other arguments
        pass
    return WorkerCallError(kind, message)


def default_workers() -> int:
    """Worker processes by default: the cores this process may use, at most 2 (scoring is bursty)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


class TimeLimitedPool:
    """Runs module-level functions in worker processes, each call with its own time limit.

    Workers start on demand (one more per queued call, up to ``workers``) and stay for the pool's
    life. Safe to share across threads and event loops: calls are ``concurrent.futures`` futures.

    Args:
        workers: Most worker processes; default :func:`default_workers`.
        warm_up: A module-level function each worker runs once before taking calls (to import
            heavy libraries outside any call's clock); None = none.
        kill_grace_s: Extra seconds the parent waits for a worker's own timer before killing it.
        name: Shown in thread names and errors (``math-verify``, ``sandbox``).

    Attributes:
        counts: ``calls`` submitted and ``timeouts`` among them.
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        warm_up: Callable[[], object] | None = None,
        kill_grace_s: float = 1.0,
        name: str = "scoring",
    ) -> None:
        self.workers = workers if workers is not None else default_workers()
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        self.warm_up = function_ref(warm_up) if warm_up is not None else None
        self.kill_grace_s = kill_grace_s
        self.startup_timeout_s = 120.0
        self.name = name
        self.counts = {"calls": 0, "timeouts": 0}
        self._longest_s = 0.0
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran; a closed pool refuses new calls."""
        return self._closed

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def submit(self, func: Callable[..., Any], *args: Any, timeout_s: float) -> Future[Any]:
        """Queue ``func(*args)``; the future holds its result, a :class:`TimedOut`, or its exception.

        Raises:
            RuntimeError: The pool is closed.
            ValueError: ``func`` is not importable by workers, or ``timeout_s`` is not positive.
        """
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        job = _Job(function_ref(func), args, timeout_s)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the {self.name} pool is closed")
            if len(self._slots) < self.workers:
                self._slots.append(_Slot(self, len(self._slots)))
            self.counts["calls"] += 1
            self._longest_s = max(self._longest_s, timeout_s)
            self._jobs.put(job)
        return job.future

    async def call(self, func: Callable[..., Any], *args: Any, timeout_s: float) -> Any:
        """``await`` form of :meth:`submit`: the result, or :class:`TimedOut`."""
        return await asyncio.wrap_future(self.submit(func, *args, timeout_s=timeout_s))

    def close(self, *, kill: bool = False) -> None:
        """Cancel queued calls and stop the workers.

        Running calls finish (bounded by their limits), unless ``kill``: then the workers are killed
        at once and their calls fail with :class:`WorkerDiedError` (Ctrl-C must not wait 30 s).
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            slots = list(self._slots)
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, _Job):
                job.future.cancel()
        for _ in slots:
            self._jobs.put(_STOP)
        if kill:
            for slot in slots:
                worker = slot.worker
                if worker is not None:
                    with contextlib.suppress(OSError):
                        worker.terminate()
        for slot in slots:
            slot.thread.join(timeout=self._longest_s + self.kill_grace_s + 10)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)
