"""The worker side of :class:`~assay.scoring.pool.TimeLimitedPool`: one process, one call at a time.

A worker is a fresh ``python -c`` interpreter (POSIX) or a ``spawn`` child (Windows) that reads
``(function ref, args, timeout_s)`` requests from a pipe, runs each under its own ``SIGALRM``
timer, and answers ``ok`` / ``timeout`` / ``error``. The parent side, which feeds workers and kills
the ones that do not answer in time, is in :mod:`assay.scoring.pool`.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Literal

Reply = tuple[Literal["ok"], Any] | tuple[Literal["timeout"]] | tuple[Literal["error"], str, str]


def function_ref(func: Callable[..., Any]) -> str:
    """``module:qualname`` of a function a worker can import.

    Raises:
        ValueError: ``func`` is a lambda, a closure or otherwise not importable by name.
    """
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or "<" in qualname:
        raise ValueError(f"pool functions must be module-level functions workers can import, got {func!r}")
    return f"{module}:{qualname}"


def resolve(ref: str) -> Any:
    """The object a :func:`function_ref` (or an exception class reference) names."""
    module, _, qualname = ref.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class _SoftTimeout(BaseException):
    """Raised inside a worker when its time is up.

    A ``BaseException`` so that the many ``except Exception`` blocks in SymPy (and in user code) do
    not swallow it and carry on to a made-up result.
    """


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

    def run(self, func: Callable[..., Any], args: tuple[Any, ...], timeout_s: float) -> Reply:
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
            resolve(warm_up)()
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
            func = functions.get(ref) or functions.setdefault(ref, resolve(ref))
        except Exception as exc:
            writer.send(("error", f"{type(exc).__module__}:{type(exc).__qualname__}", str(exc)))
            continue
        writer.send(timer.run(func, args, timeout_s))


def worker_entry() -> None:
    """``python -c`` entry point of a POSIX worker: ``<read fd> <write fd> <warm-up ref or ->``."""
    read_fd, write_fd, warm_up = sys.argv[1:4]
    reader = Connection(int(read_fd), writable=False)
    writer = Connection(int(write_fd), readable=False)
    _serve(reader, writer, None if warm_up == "-" else warm_up)
    # Skip interpreter teardown: unloading SymPy takes most of a second and there is nothing to save.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_BOOT = "from assay.scoring._pool_worker import worker_entry; worker_entry()"


class WorkerProcess:
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
