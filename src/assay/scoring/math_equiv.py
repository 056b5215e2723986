"""Is a predicted math answer equivalent to the gold one? Math-Verify's verdict, fast and bounded.

The verdict is the one EvalScope 1.x gives for its math benchmarks (``gsm8k`` and ``math_500``
score with ``{'acc': {'numeric': True}}``, which calls ``compare_answers(prediction, reference)``
in ``evalscope/metrics/math/parser.py``): both sides are parsed by Math-Verify as LaTeX fragments,
then ``verify(gold, prediction)`` decides, gold first because ``verify`` is not symmetric.

Two things make it usable inside an asyncio engine:

* **A fast path.** When both sides are plain numbers (``18``, ``-3.5``, ``1,000``) the verdict is
  computed here without SymPy, but only for the forms where Math-Verify is known to agree (a test
  checks that on generated cases). GSM8K golds are plain integers, so almost no GSM8K item reaches
  SymPy.
* **A process pool with a per-item time limit.** SymPy can take seconds or hang, and a call cannot
  be cancelled from outside the process running it. :class:`MathVerifier` runs the slow path in
  worker processes and kills a worker that overruns, answering ``None`` (the caller excludes the
  sample with reason "math-verify timed out" instead of scoring it wrong).

Example:
    >>> math_equal("\\\\frac{1}{2}", "0.5")
    True
    >>> fast_math_equal("1,000", "1000")
    True
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib
import logging
import multiprocessing
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from decimal import Decimal
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Literal, cast

__all__ = [
    "MathReferenceError",
    "MathVerifier",
    "MathVerifyError",
    "fast_math_equal",
    "get_math_verifier",
    "math_equal",
    "sympy_math_equal",
]

Judge = Callable[[str, str], bool]


class MathVerifyError(Exception):
    """Math-Verify could not judge a pair; the sample is unscorable, not wrong.

    EvalScope treats the same failures as "metric unavailable" and leaves the sample out of the mean,
    so the scorer should mark the sample excluded with ``str(exc)`` as the reason.
    """


class MathReferenceError(MathVerifyError):
    """The gold answer does not parse as mathematics, so no prediction can be judged against it."""


# ---------------------------------------------------------------------------------------------
# Fast path
# ---------------------------------------------------------------------------------------------

# The plain-number forms whose Math-Verify reading is known: an optional sign, digits with or
# without well-formed thousands commas, an optional fraction. Deliberately absent (they reach
# Math-Verify, which reads them in surprising ways): '0,001' (a decimal comma: 0.001), '1,00' and
# '+1,000' (the set {1, 0}), '18.' (unparsed text, never equal), '1e3' (1*e*3), '1 000' (1*0),
# percentages and currency signs.
_PLAIN_NUMBER = re.compile(r"([+-]?)((?:[1-9]\d{0,2}(?:,\d{3})+)|\d+)?(\.\d+)?")

# Math-Verify compares a float with another number after rounding both to 6 decimals and parses a
# float with 15 significant digits. Away from those limits the verdict is plain arithmetic; close to
# them (values within 1e-5, or more than 15 significant digits) we let Math-Verify decide.
_SAFE_GAP = Decimal("1e-5")
_SAFE_DIGITS = 15


@dataclass(frozen=True)
class _PlainNumber:
    value: Decimal
    is_integer: bool  # written without a fractional part
    digits: int  # significant digits as written


def _plain_number(text: str) -> _PlainNumber | None:
    match = _PLAIN_NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    if whole is None and fraction is None:
        return None
    if sign == "+" and whole is not None and "," in whole:
        return None  # Math-Verify reads '+1,000' as the set {1, 0}
    whole = (whole or "").replace(",", "")
    digits = len((whole + (fraction or "")[1:]).lstrip("0")) or 1
    value = Decimal(f"{sign}{whole or '0'}{fraction or ''}")
    return _PlainNumber(value=value, is_integer=fraction is None, digits=digits)


def fast_math_equal(pred: str, gold: str) -> bool | None:
    """Math-Verify's verdict for two plain numbers, or ``None`` when only Math-Verify can tell.

    Integers compare exactly (Math-Verify parses them as exact SymPy integers). A pair involving a
    decimal is decided only where Math-Verify's rounding (6 decimals) and float precision (15
    digits) cannot matter: equal values, or values more than 1e-5 apart.

    Example:
        >>> fast_math_equal("18", "18.0"), fast_math_equal("-3.5", "3.5"), fast_math_equal("x", "1")
        (True, False, None)
    """
    p = _plain_number(pred)
    if p is None:
        return None
    g = _plain_number(gold)
    if g is None:
        return None
    if p.is_integer and g.is_integer:
        return p.value == g.value
    if max(p.digits, g.digits) > _SAFE_DIGITS:
        return None
    if p.value == g.value:
        return True
    if abs(p.value - g.value) > _SAFE_GAP:
        return False
    return None


# ---------------------------------------------------------------------------------------------
# Slow path: Math-Verify
# ---------------------------------------------------------------------------------------------

# Math-Verify reads '1e3' as 1*e*3 (Euler's number) but '1E3' as 1000; a complete numeric literal
# in scientific notation is meant as a number, so it is upper-cased first (as EvalScope does).
_SCIENTIFIC = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_SCIENTIFIC_LOWER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)e[+-]?[0-9]+")
_MATH_DELIMITERS = ("$", "\\(", "\\[", "\\boxed", "\\fbox")


def _parse_fragment(text: str) -> list[Any]:
    """SymPy objects Math-Verify reads from an answer fragment (display strings dropped).

    Timeouts are disabled (``parsing_timeout=None``): Math-Verify's own timeouts use
    ``signal.alarm``, which fails outside the main thread and, worse, turns a timeout into "no
    answer" (a wrong verdict). Time is bounded by the process running this instead.
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    text = text.strip()
    if not text:
        return []
    if _SCIENTIFIC.fullmatch(text):
        text = f"${text.replace('e', 'E')}$"
    if not text.startswith(_MATH_DELIMITERS):
        text = f"${text}$"
    parsed = parse(
        text,
        extraction_config=[LatexExtractionConfig(boxed_match_priority=0), ExprExtractionConfig()],
        fallback_mode="first_match",
        extraction_mode="first_match",
        parsing_timeout=None,  # None disables the signal timer
    )
    objects = [item for item in parsed if not isinstance(item, str)]
    display = next((item for item in parsed if isinstance(item, str)), "")
    if objects and _SCIENTIFIC_LOWER.fullmatch(display):
        reparsed = parse(
            f"${display.replace('e', 'E')}$",
            extraction_config=[LatexExtractionConfig()],
            fallback_mode="first_match",
            extraction_mode="first_match",
            parsing_timeout=None,
        )
        objects = [item for item in reparsed if not isinstance(item, str)]
    return objects


def sympy_math_equal(pred: str, gold: str) -> bool:
    """Math-Verify's verdict without the fast path (what :class:`MathVerifier` workers run).

    Raises:
        MathReferenceError: ``gold`` does not parse.
        MathVerifyError: Math-Verify raised while comparing.
    """
    from math_verify import verify

    golds = _parse_fragment(gold)
    if not golds:
        raise MathReferenceError(f"gold answer does not parse as mathematics: {gold!r}")
    preds = _parse_fragment(pred)
    if not preds:
        return False
    try:
        return any(
            verify(
                [g],
                [p],
                strict=True,
                float_rounding=6,
                numeric_precision=15,
                allow_set_relation_comp=False,
                timeout_seconds=None,  # see _parse_fragment
                raise_on_error=True,
            )
            for g in golds
            for p in preds
        )
    except Exception as exc:
        raise MathVerifyError(f"math-verify failed: {type(exc).__name__}: {exc}") from exc


def math_equal(pred: str, gold: str) -> bool:
    """Whether ``pred`` is mathematically equivalent to ``gold``, as EvalScope's math metric judges.

    Runs in the calling thread with no time limit, so use it for one-off checks; the engine uses
    :meth:`MathVerifier.equal`, which bounds the time and keeps SymPy off the event loop. Safe from
    any thread: Math-Verify's signal-based timeouts are disabled.

    Raises:
        MathReferenceError: ``gold`` does not parse.
        MathVerifyError: Math-Verify raised while comparing.

    Example:
        >>> math_equal("\\\\boxed{\\\\frac{3}{4}}", "0.75"), math_equal("(1, 2]", "(1, 2)")
        (True, False)
    """
    fast = fast_math_equal(pred, gold)
    return fast if fast is not None else sympy_math_equal(pred, gold)


# ---------------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------------


class _SoftTimeout(BaseException):
    """Raised inside a worker when its time is up.

    A ``BaseException`` so that the many ``except Exception`` blocks in SymPy and Math-Verify do not
    swallow it and carry on to a made-up verdict.
    """


_Reply = tuple[Literal["ok"], bool] | tuple[Literal["timeout"]] | tuple[Literal["error"], bool, str]


class _SoftTimer:
    """Interrupts a judge call in a worker's main thread when its time is up.

    Most overruns are pure-Python SymPy loops (or regex backtracking, which also checks for signals)
    that ``SIGALRM`` interrupts, so the worker survives. The parent kills the process only when the
    timer cannot get through. Without ``setitimer`` (Windows) only the parent's kill applies.
    """

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
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

    def run(self, judge: Judge, pred: str, gold: str) -> _Reply:
        self.expired = False
        self.armed = True
        self._set(self.timeout_s)
        try:
            try:
                verdict = judge(pred, gold)
            finally:
                self.armed = False
                self._set(0)
        except _SoftTimeout:  # also when the alarm lands inside the finally above
            return ("timeout",)
        except Exception as exc:
            return ("error", isinstance(exc, MathReferenceError), str(exc) or type(exc).__name__)
        # A judge that swallowed the timeout still ran out of time; its verdict is not trusted.
        return ("timeout",) if self.expired else ("ok", bool(verdict))


def _serve(reader: Connection, writer: Connection, judge: Judge, timeout_s: float, warm_up: bool) -> None:
    """Worker loop: answer ``(pred, gold)`` requests until the parent sends ``None`` or goes away."""
    # Ctrl-C reaches the whole process group; the parent decides what to do about it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Math-Verify warns once per process that its timeouts are off; that is deliberate here.
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    timer = _SoftTimer(timeout_s)
    if warm_up:
        # Import SymPy and Math-Verify before saying ready, so the first item's clock is fair.
        with contextlib.suppress(Exception):
            judge("\\frac{1}{2}", "0.5")
    writer.send(("ready",))
    while True:
        try:
            request = reader.recv()
        except EOFError:
            return
        if request is None:
            return
        writer.send(timer.run(judge, *request))


def _judge_ref(judge: Judge) -> str:
    module, qualname = getattr(judge, "__module__", None), getattr(judge, "__qualname__", "")
    if not module or "<" in qualname:
        raise ValueError(f"judge must be a module-level function workers can import, got {judge!r}")
    return f"{module}:{qualname}"


def _resolve_judge(ref: str) -> Judge:
    module, _, qualname = ref.partition(":")
    judge: Any = importlib.import_module(module)
    for part in qualname.split("."):
        judge = getattr(judge, part)
    return cast(Judge, judge)


def _worker_entry() -> None:
    """``python -c`` entry point of a POSIX worker: ``<read fd> <write fd> <judge> <timeout_s> <warm>``."""
    read_fd, write_fd, ref, timeout_s, warm_up = sys.argv[1:6]
    reader = Connection(int(read_fd), writable=False)
    writer = Connection(int(write_fd), readable=False)
    _serve(reader, writer, _resolve_judge(ref), float(timeout_s), warm_up == "1")
    # Skip interpreter teardown: unloading SymPy takes most of a second and there is nothing to save.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


_BOOT = "from assay.scoring.math_equiv import _worker_entry; _worker_entry()"


class _WorkerProcess:
    """One worker: a fresh interpreter that judges one pair at a time.

    On POSIX it is a plain ``python -c`` subprocess talking over two pipes, not a ``multiprocessing``
    child: spawn and forkserver children re-import the parent's ``__main__``, which reruns a user's
    ``run_task(...)`` script that lacks an ``if __name__ == "__main__"`` guard (EvalScope's documented
    usage), and fork is unsafe with the engine's threads. Windows has neither pass-able pipe fds nor
    fork, so there it is a ``spawn`` child and scripts need the guard, as usual on Windows.
    """

    def __init__(self, judge: Judge, timeout_s: float, warm_up: bool) -> None:
        self._popen: subprocess.Popen[bytes] | None = None
        self._process: BaseProcess | None = None
        if os.name == "posix":
            self._start_subprocess(_judge_ref(judge), timeout_s, warm_up)
        else:
            context = multiprocessing.get_context("spawn")
            parent_end, child_end = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(child_end, child_end, judge, timeout_s, warm_up), daemon=True
            )
            self._process.start()
            child_end.close()
            self.reader = self.writer = parent_end

    def _start_subprocess(self, ref: str, timeout_s: float, warm_up: bool) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        # The child must import what the parent imports (an uninstalled checkout, a test's judge).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        # Its stderr is the user's terminal: SymPy deprecation chatter would garble progress bars.
        env["PYTHONWARNINGS"] = "ignore"
        args = [str(to_child_r), str(from_child_w), ref, repr(timeout_s), "1" if warm_up else "0"]
        try:
            self._popen = subprocess.Popen(
                [sys.executable, "-c", _BOOT, *args],
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
    pred: str
    gold: str
    future: Future[bool | None] = field(default_factory=Future)


_STOP = object()


class _Slot:
    """One worker process and the parent thread that feeds it, one item at a time.

    A thread per worker (rather than ``ProcessPoolExecutor``) is what makes the time limit exact and
    cheap: the clock starts when the worker receives the item, not when it is queued, and an overrun
    kills only that worker; items queued or running elsewhere are untouched and need no resubmission.
    """

    def __init__(self, verifier: MathVerifier, index: int) -> None:
        self._verifier = verifier
        self._worker: _WorkerProcess | None = None
        self.thread = threading.Thread(target=self._run, name=f"assay-math-verify-{index}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        jobs = self._verifier._jobs
        try:
            while True:
                job = jobs.get()
                if not isinstance(job, _Job):  # _STOP
                    return
                if not job.future.set_running_or_notify_cancel():
                    continue
                try:
                    job.future.set_result(self._judge(job.pred, job.gold))
                except BaseException as exc:
                    job.future.set_exception(exc)
        finally:
            if self._worker is not None:
                self._worker.stop()

    def _judge(self, pred: str, gold: str) -> bool | None:
        worker = self._ensure_worker()
        v = self._verifier
        try:
            worker.writer.send((pred, gold))
            if not worker.reader.poll(v.timeout_s + v.kill_grace_s):
                # The worker's own timer did not get through (C code holding on): only a kill stops it.
                self._discard_worker()
                v._count("timeouts")
                return None
            reply: _Reply = worker.reader.recv()
        except (EOFError, OSError) as exc:
            self._discard_worker()
            raise MathVerifyError("math-verify worker process died") from exc
        if reply[0] == "ok":
            return reply[1]
        if reply[0] == "timeout":
            v._count("timeouts")
            return None
        is_reference_error, message = reply[1], reply[2]
        raise (MathReferenceError if is_reference_error else MathVerifyError)(message)

    def _ensure_worker(self) -> _WorkerProcess:
        if self._worker is not None and self._worker.is_alive():
            return self._worker
        self._discard_worker()
        v = self._verifier
        try:
            worker = _WorkerProcess(v.judge, v.timeout_s, warm_up=v.judge is sympy_math_equal)
        except OSError as exc:
            raise MathVerifyError(f"could not start a math-verify worker process: {exc}") from exc
        self._worker = worker
        try:
            ready = worker.reader.poll(v.startup_timeout_s) and worker.reader.recv() == ("ready",)
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._discard_worker()
            raise MathVerifyError("math-verify worker process failed to start")
        return worker

    def _discard_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.kill()


def _default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


class MathVerifier:
    """Judges math answers off the event loop, with a time limit per item.

    Plain numbers are judged inline (:func:`fast_math_equal`); everything else goes to up to
    ``workers`` processes, started on first use, each importing Math-Verify once. Safe to share
    across threads and event loops.

    Args:
        timeout_s: Most seconds one item may compute; an overrun answers ``None``.
        workers: Worker processes; default ``min(2, os.cpu_count())``.
        kill_grace_s: Extra seconds the parent waits for a worker's own timer before killing it.
        judge: The slow check run in workers, a module-level function so workers can import it;
            tests substitute one that hangs.

    Attributes:
        counts: How many pairs took the fast path, went to the pool, and timed out.

    Example:
        >>> import asyncio
        >>> async def main() -> bool | None:
        ...     verifier = MathVerifier(timeout_s=5)
        ...     try:
        ...         return await verifier.equal("\\\\frac{1}{2}", "0.5")
        ...     finally:
        ...         await verifier.aclose()
        >>> asyncio.run(main())
        True
    """

    def __init__(
        self,
        *,
        timeout_s: float = 5.0,
        workers: int | None = None,
        kill_grace_s: float = 1.0,
        judge: Judge = sympy_math_equal,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        self.timeout_s = timeout_s
        self.workers = workers if workers is not None else _default_workers()
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        self.kill_grace_s = kill_grace_s
        self.startup_timeout_s = 120.0
        _judge_ref(judge)  # fail here, not in a worker, if workers could not import it
        self.judge = judge
        self.counts = {"fast_path": 0, "pool": 0, "timeouts": 0}
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once :meth:`close` or :meth:`aclose` ran; a closed verifier refuses new items."""
        return self._closed

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def submit(self, pred: str, gold: str) -> Future[bool | None]:
        """Queue one pair for a worker (no fast path); the future holds what :meth:`equal` returns."""
        with self._lock:
            if self._closed:
                raise RuntimeError("MathVerifier is closed")
            if len(self._slots) < self.workers:
                # One more worker per queued item until the cap: a one-off check starts one process.
                self._slots.append(_Slot(self, len(self._slots)))
            self.counts["pool"] += 1
            job = _Job(pred, gold)
            self._jobs.put(job)
        return job.future

    async def equal(self, pred: str, gold: str) -> bool | None:
        """Whether ``pred`` is equivalent to ``gold``; ``None`` when the check ran out of time.

        Raises:
            MathReferenceError: ``gold`` does not parse (exclude the sample).
            MathVerifyError: Math-Verify failed on this pair or its worker died (exclude the sample).
        """
        fast = fast_math_equal(pred, gold)
        if fast is not None:
            self._count("fast_path")
            return fast
        return await asyncio.wrap_future(self.submit(pred, gold))

    def close(self) -> None:
        """Cancel queued items, let running ones finish (bounded by the time limit), stop workers."""
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
        for slot in slots:
            slot.thread.join(timeout=self.timeout_s + self.kill_grace_s + 10)

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        await asyncio.get_running_loop().run_in_executor(None, self.close)


_shared: MathVerifier | None = None
_shared_lock = threading.Lock()


def get_math_verifier() -> MathVerifier:
    """The process-wide verifier with default settings, created on first use, closed at exit."""
    global _shared
    with _shared_lock:
        if _shared is None or _shared.closed:
            _shared = MathVerifier()
            atexit.register(_shared.close)
        return _shared
