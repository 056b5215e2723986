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
import importlib
import logging
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Literal

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


class _SoftTimeout(BaseException):
    """Raised inside a worker when its time is up.

    A ``BaseException`` so that the many ``except Exception`` blocks in SymPy (and in user code) do
    not swallow it and carry on to a made-up result.
    """


_Reply = tuple[Literal["ok"], Any] | tuple[Literal["timeout"]] | tuple[Literal["error"], str, str]


def function_ref(func: Callable[..., Any]) -> str:
    """``module:qualname`` of a function a worker can import.

    Raises:
        ValueError: ``func`` is a lambda, a closure or otherwise not importable by name.
    """
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or "<" in qualname:
        raise ValueError(f"pool functions must be module-level functions workers can import, got {func!r}")
    return f"{module}:{qualname}"


def _resolve(ref: str) -> Any:
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class _SoftTimer:
    """Interrupts a call in a worker's main thread when its time is up (where ``setitimer`` exists)."""

    def __init__(self) -> None:
        self.enabled = hasattr(signal, "setitimer")
        self.armed = False
        self.expired = False
        if self.enabled:
            signal.signal(signal.SIGALRM, self._on_alarm)

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if self.armed:
            self.expired = True
            raise _SoftTimeout

    def _set(self, seconds: float) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, seconds)

    def run(self, func: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> _Reply:
        self.expired = False
        self.armed = True
        self._set(timeout_s)
        try:
            try:
                value = func(*args)
            finally:
                self.armed = False
                self._set(0)
        except _SoftTimeout:  # also when the alarm lands inside the finally above
            return ("timeout",)
        except Exception as exc:
            return ("error", f"{type(exc).__module__}:{type(exc).__qualname__}", str(exc) or type(exc).__name__)
        # A call that swallowed the timeout still ran out of time; its result is not trusted.
        return ("timeout",) if self.expired else ("ok", value)


def _serve(reader: Connection, writer: Connection, warm_up: str | None) -> None:
    """Worker loop: run ``(function ref, args, timeout_s)`` requests until the parent sends ``None``."""
    # Ctrl-C reaches the whole process group; the parent decides what to do about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Math-Verify warns once per process that its own timeouts are off; that is deliberate here.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    timer = _SoftTimer()
    functions: dict[str, Callable[..., Any]] = {}
    if warm_up is not None:
        # Import heavy modules before saying ready, so the first call's clock is fair.
        with contextlib.suppress(Exception):
            _resolve(warm_up)()
    writer.send(("ready",))
    while True:
        try:
            request = reader.recv()
        except EOFError:
            return
        if request is None:
            return
        ref, args, timeout_s = request
        try:
            func = functions.get(ref) or functions.setdefault(ref, _resolve(ref))
        except Exception as exc:
            writer.send(("error", f"{type(exc).__module__}:{type(exc).__qualname__}", str(exc)))
            continue
        writer.send(timer.run(func, args, timeout_s))


def _worker_entry() -> None:
    """``python -c`` entry point of a POSIX worker: ``<read fd> <write fd> <warm-up ref or ->``."""
    read_fd, write_fd, warm_up = sys.argv[1:4]
    reader = Connection(int(read_fd), writable=False)
    writer = Connection(int(write_fd), readable=False)
    _serve(reader, writer, None if warm_up == "-" else warm_up)
    # Skip interpreter teardown: unloading SymPy takes most of a second and there is nothing to save.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_BOOT = "from assay.scoring.pool import _worker_entry; _worker_entry()"


class _WorkerProcess:
    """One worker: a fresh interpreter that runs one call at a time."""

    def __init__(self, warm_up: str | None) -> None:
        self._popen: subprocess.Popen[bytes] | None = None
        self._process: BaseProcess | None = None
        if os.name == "posix":
            self._start_subprocess(warm_up)
        else:
            context = multiprocessing.get_context("spawn")
            parent_end, child_end = context.Pipe()
            self._process = context.Process(target=_serve, args=(child_end, child_end, warm_up), daemon=True)
            self._process.start()
            child_end.close()
            self.reader = self.writer = parent_end

    def _start_subprocess(self, warm_up: str | None) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # The child must import what the parent imports (an uninstalled checkout, a test's function).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        # Its stderr is the user's terminal: SymPy deprecation chatter would garble progress bars.
        env["PYTHONWARNINGS"] = "ignore"
        try:
            self._popen = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(to_child_r), str(from_child_w), warm_up or "-"],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except BaseException:
            for fd in (to_child_w, from_child_r):
                os.close(fd)
            raise
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.writer = Connection(to_child_w, readable=False)
        self.reader = Connection(from_child_r, writable=False)

    def is_alive(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        return self._process is not None and self._process.is_alive()

    def kill(self) -> None:
        for conn in {self.reader, self.writer}:
            conn.close()
        if self._popen is not None:
            self._popen.kill()
            self._popen.wait(timeout=10)
        elif self._process is not None:
            self._process.kill()
            self._process.join(timeout=10)

    def terminate(self) -> None:
        """Kill the process only: the thread feeding it sees end-of-file and cleans up itself."""
        if self._popen is not None:
            self._popen.kill()
        elif self._process is not None:
            self._process.kill()

    def stop(self, wait_s: float = 1.0) -> None:
        """Ask the worker to exit, then make sure it has."""
        with contextlib.suppress(OSError):
            self.writer.send(None)
        if self._popen is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._popen.wait(timeout=wait_s)
        elif self._process is not None:
            self._process.join(timeout=wait_s)
        self.kill()


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
        self.worker: _WorkerProcess | None = None
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
            reply: _Reply = worker.reader.recv()
        except (EOFError, OSError) as exc:
            self._discard_worker()
            raise WorkerDiedError(f"{pool.name} worker process died") from exc
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "timeout":
            pool._count("timeouts")
            return TimedOut(job.timeout_s)
        raise _rebuild_exception(reply[1], reply[2])

    def _ensure_worker(self) -> _WorkerProcess:
        if self.worker is not None and self.worker.is_alive():
            return self.worker
        self._discard_worker()
        pool = self._pool
        try:
            worker = _WorkerProcess(pool.warm_up)
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
        cls = _resolve(kind)
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
