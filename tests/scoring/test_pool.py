"""The time-limited worker pool and the run's ScoringContext, with real worker processes."""

from __future__ import annotations

import asyncio
import operator
import os
import threading
import time
from pathlib import Path

import pytest

from assay.scoring.context import ScoringContext
from assay.scoring.extract import extract_math_answer
from assay.scoring.pool import TimedOut, TimeLimitedPool, WorkerCallError, WorkerDiedError
from assay.types import Score

# --- functions run inside worker processes (module level, so workers can import them) ----------


def sleep_then_return(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


def raise_value_error(message: str) -> None:
    raise ValueError(message)


class NeedsTwoArguments(Exception):
    def __init__(self, a: str, b: str) -> None:
        super().__init__(f"{a} {b}")


def raise_unrebuildable() -> None:
    raise NeedsTwoArguments("a", "b")


def worker_pid() -> int:
    return os.getpid()


def rendezvous(folder: str, me: str, other: str) -> bool:
    """Say "I started", then wait (up to 30 s) until ``other`` has started too."""
    Path(folder, me).touch()
    deadline = time.monotonic() + 30
    while not Path(folder, other).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# --- the pool ----------------------------------------------------------------------------------


def test_results_exceptions_and_timeouts_come_back_as_such() -> None:
    pool = TimeLimitedPool(workers=2)
    try:
        assert pool.submit(operator.add, 2, 3, timeout_s=10).result(timeout=60) == 5
        with pytest.raises(ValueError, match="bad input"):
            pool.submit(raise_value_error, "bad input", timeout_s=10).result(timeout=60)
        with pytest.raises(WorkerCallError) as caught:
            pool.submit(raise_unrebuildable, timeout_s=10).result(timeout=60)
        assert caught.value.kind.endswith("NeedsTwoArguments")
        assert pool.submit(sleep_then_return, 30, "late", timeout_s=0.3).result(timeout=60) == TimedOut(0.3)
        assert pool.counts == {"calls": 4, "timeouts": 1}
    finally:
        pool.close()


def test_calls_run_in_parallel_up_to_the_worker_count(tmp_path: Path) -> None:
    # Each call waits until the other has started: only two workers at once can both finish.
    pool = TimeLimitedPool(workers=2)
    try:
        first = pool.submit(rendezvous, str(tmp_path), "a", "b", timeout_s=60)
        second = pool.submit(rendezvous, str(tmp_path), "b", "a", timeout_s=60)
        assert (first.result(timeout=90), second.result(timeout=90)) == (True, True)
    finally:
        pool.close()


def test_lambdas_are_refused_before_any_worker_starts() -> None:
    pool = TimeLimitedPool(workers=1)
    with pytest.raises(ValueError, match="module-level"):
        pool.submit(lambda: 1, timeout_s=1)
    assert pool._slots == []
    pool.close()


def test_close_with_kill_does_not_wait_for_running_calls(tmp_path: Path) -> None:
    pool = TimeLimitedPool(workers=1)
    running = pool.submit(rendezvous, str(tmp_path), "started", "never", timeout_s=60)
    while not (tmp_path / "started").exists():  # the call is running in the worker
        time.sleep(0.01)
    pool.close(kill=True)
    # Had close waited for it, the call would have returned False after its 30 s wait.
    with pytest.raises(WorkerDiedError):
        running.result(timeout=10)
    with pytest.raises(RuntimeError, match="closed"):
        pool.submit(worker_pid, timeout_s=1)


# --- the scoring context -------------------------------------------------------------------------


def test_context_extracts_in_the_pool_and_runs_cpu_work_off_the_loop() -> None:
    async def main() -> tuple[object, bool | None, str]:
        async with ScoringContext(workers=1) as ctx:
            extracted = await ctx.pool.call(extract_math_answer, "so \\boxed{\\frac{1}{2}}", timeout_s=30)
            equal = await ctx.math.equal("\\frac{1}{2}", "0.5")
            thread = await ctx.run_cpu(lambda: threading.current_thread().name)
        assert ctx.closed and ctx.pool.closed
        return extracted, equal, thread

    extracted, equal, thread = asyncio.run(main())
    assert extracted == "\\frac{1}{2}"
    assert equal is True
    assert thread.startswith("assay-scoring")


def test_context_closes_once_even_when_the_run_fails() -> None:
    ctx = ScoringContext(workers=1)

    async def failing_run() -> None:
        async with ctx:
            await ctx.math.equal("\\sqrt{4}", "2")  # starts a worker
            raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError, match="the run failed"):
        asyncio.run(failing_run())
    assert ctx.closed and ctx.pool.closed
    assert all(slot.worker is None or not slot.worker.is_alive() for slot in ctx.pool._slots)
    ctx.close()  # idempotent


def test_a_runaway_math_extraction_is_stopped_and_the_sample_excluded() -> None:
    from assay.scoring.scorers.math import MathEquivScorer
    from assay.types import ModelOutput, Sample, SampleStatus

    # About half a second of SymPy work: ten times the limit set here.
    reply = "The answer is $" + "+".join(f"\\frac{{{i}}}{{x+{i}}}" for i in range(400)) + "$"
    sample = Sample(id="1", input="?", target="7")
    scorer = MathEquivScorer(["acc"])

    async def main() -> tuple[Score, Score]:
        async with ScoringContext(workers=1, extract_timeout_s=0.05) as ctx:
            await ctx.pool.call(worker_pid, timeout_s=60)  # the worker is up (and warm) before the clock
            runaway = await scorer.score(sample, ModelOutput(text=reply), ctx)
            after = await scorer.score(sample, ModelOutput(text="so \\boxed{\\frac{14}{2}}"), ctx)
            assert ctx.pool.counts["timeouts"] == 1  # the worker stopped the call at its limit
        return runaway, after

    runaway, after = asyncio.run(main())
    assert runaway.status is SampleStatus.EXCLUDED
    assert runaway.reason == "math answer extraction took longer than 0.05 s"
    assert after.value == {"acc": 1.0}  # the pool still serves
