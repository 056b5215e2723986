"""Math answer equivalence: Math-Verify's verdicts, the SymPy-free fast path, and the worker pool."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from assay.scoring import math_equiv
from assay.scoring.math_equiv import (
    MathReferenceError,
    MathVerifier,
    MathVerifyError,
    fast_math_equal,
    math_equal,
    sympy_math_equal,
)

# --- comparators run inside worker processes (module level, so workers can import them) ------


def sleepy_compare(pred: str, gold: str) -> bool:
    """Sleeps through anything but "quick": the worker's own timer interrupts it."""
    if pred != "quick":
        time.sleep(60)
    return pred == gold


def stubborn_compare(pred: str, gold: str) -> bool:
    """On "hang", ignores the worker's timer and never returns: only a kill stops it."""
    if pred == "hang":
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(60)
    return pred == gold


def crashing_compare(pred: str, gold: str) -> bool:
    """On "crash", takes its worker process down without a reply."""
    if pred == "crash":
        import os

        os._exit(3)
    return pred == gold


# --- verdicts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        ("\\frac{1}{2}", "0.5"),
        ("0.5", "\\frac{1}{2}"),
        ("\\boxed{\\frac{3}{4}}", "0.75"),
        ("\\boxed{18}", "18"),
        ("1,000", "1000"),
        ("1000", "1,000"),
        ("18.0", "18"),
        ("1e3", "1000"),
        ("2\\sqrt{2}", "\\sqrt{8}"),
        ("(x+1)^2", "x^2 + 2x + 1"),
        ("\\frac{\\pi}{2}", "\\pi/2"),
        ("(1, 2]", "(1,2]"),
        ("[0, \\infty)", "[0,\\infty)"),
        ("\\{3, 2, 1\\}", "\\{1, 2, 3\\}"),
        ("x = 5", "5"),
        ("\\dfrac{14}{3}", "\\frac{14}{3}"),
    ],
)
def test_equivalent_answers_match(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is True


@pytest.mark.parametrize(
    ("pred", "gold"),
    [
        ("(1, 2)", "(1, 2]"),
        ("\\frac{1}{3}", "0.5"),
        ("-18", "18"),
        ("18.", "18"),  # Math-Verify cannot parse '18.' and never equates unparsed text
        ("x + 1", "x + 2"),
        ("\\{1, 2\\}", "\\{1, 2, 3\\}"),
        ("", "18"),
        ("no answer", "18"),
    ],
)
def test_different_answers_do_not_match(pred: str, gold: str) -> None:
    assert math_equal(pred, gold) is False


def test_inline_check_works_off_the_main_thread() -> None:
    # Math-Verify's default timeouts use signal.alarm, which raises outside the main thread.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(math_equal, "\\frac{6}{4}", "1.5").result(timeout=60) is True


def test_unparseable_gold_raises_reference_error_not_false() -> None:
    # A gold that does not parse leaves nothing to judge: EvalScope excludes such samples too.
    with pytest.raises(MathReferenceError):
        math_equal("18", "")


# --- fast path ---------------------------------------------------------------------------------


def _random_number(rng: random.Random) -> str:
    magnitude = rng.choice([1, 10, 1000, 10**6, 10**9, 10**17, 10**25])
    value = rng.randint(-magnitude, magnitude)
    sign = "-" if value < 0 else ("+" if rng.random() < 0.1 else "")
    whole = f"{abs(value):,}" if rng.random() < 0.3 else "0" * rng.choice([0, 0, 0, 1]) + str(abs(value))
    if rng.random() < 0.4:
        return sign + whole
    fraction = "".join(rng.choice("0123456789") for _ in range(rng.choice([1, 2, 3, 6, 7, 12])))
    return f"{sign}{whole}.{fraction}"


def _variant(text: str, rng: random.Random) -> str:
    value = Decimal(text.replace(",", ""))
    step = rng.choice(["1e-7", "5e-7", "2e-6", "1e-5", "3e-5", "1e-3", "1"])
    return rng.choice(
        [
            text,
            str(value),
            f"{value:.{rng.randint(0, 8)}f}",
            str(value + Decimal(step)),
            str(-value),
            f"{value:,}",
            _random_number(rng),
        ]
    )


def test_fast_path_agrees_with_math_verify_on_generated_numbers() -> None:
    rng = random.Random(20241126)
    decided = 0
    for _ in range(300):
        gold = _random_number(rng)
        pred = _variant(gold, rng)
        if rng.random() < 0.5:
            pred, gold = gold, pred
        fast = fast_math_equal(pred, gold)
        if fast is None:
            continue
        decided += 1
        assert fast == sympy_math_equal(pred, gold), (pred, gold)
    assert decided > 150  # the generator mostly produces pairs the fast path must decide


@pytest.mark.parametrize(
    ("pred", "gold", "verdict"),
    [
        ("18", "18", True),
        ("-3.5", "-3.50", True),
        ("1,000", "1000", True),
        ("0018", "18", True),
        (".5", "0.5", True),
        ("-0", "0", True),
        ("12,345.5", "12345.5", True),
        ("18", "19", False),
        ("2.5", "2.6", False),
        ("123456789012345678901234567", "123456789012345678901234568", False),
        # undecided: Math-Verify's rounding, decimal comma, sets, unparsed text, symbols
        ("1.0000001", "1", None),
        ("0,001", "0.001", None),
        ("1,00", "100", None),
        ("+1,000", "1000", None),
        ("18.", "18", None),
        ("1e3", "1000", None),
        ("\\$18", "18", None),
        ("10\\%", "10", None),
        ("1234567890123456.5", "1234567890123456.5", None),
    ],
)
def test_fast_path_decides_only_plain_numbers(pred: str, gold: str, verdict: bool | None) -> None:
    assert fast_math_equal(pred, gold) is verdict
    if verdict is not None:
        assert sympy_math_equal(pred, gold) is verdict


def test_gsm8k_style_integers_never_reach_sympy(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_sympy(pred: str, gold: str) -> bool:
        raise AssertionError("reached Math-Verify")

    monkeypatch.setattr(math_equiv, "sympy_math_equal", no_sympy)
    for pred, gold, verdict in [("72", "72", True), ("10", "5", False), ("1,080", "1080", True)]:
        assert math_equal(pred, gold) is verdict


# --- the worker pool ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verifier() -> Iterator[MathVerifier]:
    shared = MathVerifier(timeout_s=10)
    yield shared
    shared.close()


def test_pool_answers_200_concurrent_calls_from_a_running_loop(verifier: MathVerifier) -> None:
    pairs = [("\\frac{1}{2}", "0.5", True), ("\\sqrt{4}", "2", True), ("\\frac{1}{3}", "0.5", False)]
    pairs += [("42", "42", True), ("41", "42", False)]
    calls = [pairs[i % len(pairs)] for i in range(200)]

    async def main() -> list[bool | None]:
        return await asyncio.gather(*(verifier.equal(p, g) for p, g, _ in calls))

    assert asyncio.run(main()) == [verdict for _, _, verdict in calls]
    assert verifier.counts["pool"] >= 120
    assert verifier.counts["fast_path"] >= 80
    assert verifier.counts["timeouts"] == 0


def test_pool_reports_reference_errors_as_exceptions(verifier: MathVerifier) -> None:
    with pytest.raises(MathReferenceError):
        asyncio.run(verifier.equal("x", "\\text{}"))


def test_pool_works_across_event_loops_and_threads(verifier: MathVerifier) -> None:
    assert asyncio.run(verifier.equal("\\frac{2}{4}", "0.5")) is True
    assert asyncio.run(verifier.equal("\\frac{2}{4}", "0.5")) is True
    assert verifier.submit("2^{10}", "1024").result(timeout=30) is True


def test_timeout_interrupts_a_slow_item_and_the_worker_survives() -> None:
    slow = MathVerifier(timeout_s=0.3, workers=1, compare=sleepy_compare)
    try:
        start = time.perf_counter()
        assert asyncio.run(slow.equal("sleep", "x")) is None
        assert slow.counts["timeouts"] == 1
        worker = slow.pool._slots[0].worker
        assert asyncio.run(slow.equal("quick", "quick")) is True
        assert slow.pool._slots[0].worker is worker  # interrupted in place, not replaced
        assert time.perf_counter() - start < 10
    finally:
        slow.close()


def test_stuck_worker_is_killed_and_replaced_while_other_items_finish() -> None:
    stuck = MathVerifier(timeout_s=0.3, kill_grace_s=0.3, workers=2, compare=stubborn_compare)
    try:

        async def main() -> list[bool | None]:
            pairs = [("hang", "x"), ("a", "a"), ("b", "c"), ("d", "d")]
            return await asyncio.gather(*(stuck.equal(pred, gold) for pred, gold in pairs))

        assert asyncio.run(main()) == [None, True, False, True]
        assert stuck.counts["timeouts"] == 1
        assert asyncio.run(stuck.equal("e", "e")) is True  # the killed worker's slot serves again
    finally:
        stuck.close()


def test_dead_worker_raises_and_is_restarted() -> None:
    crashy = MathVerifier(workers=1, compare=crashing_compare)
    try:
        with pytest.raises(MathVerifyError, match="died"):
            asyncio.run(crashy.equal("crash", "x"))
        assert asyncio.run(crashy.equal("ok", "ok")) is True
    finally:
        crashy.close()


def test_closed_verifier_refuses_work() -> None:
    verifier = MathVerifier(workers=1)
    asyncio.run(verifier.aclose())
    assert verifier.closed
    with pytest.raises(RuntimeError, match="closed"):
        verifier.submit("1", "1")


def test_a_shared_pool_is_left_open_by_the_verifier() -> None:
    from assay.scoring.pool import TimeLimitedPool

    pool = TimeLimitedPool(workers=1)
    try:
        verifier = MathVerifier(pool=pool, compare=stubborn_compare)
        assert asyncio.run(verifier.equal("x", "x")) is True
        verifier.close()
        assert not pool.closed  # its owner (the run's ScoringContext) closes it
    finally:
        pool.close()


def test_compare_must_be_importable_by_workers() -> None:
    with pytest.raises(ValueError, match="module-level"):
        MathVerifier(compare=lambda pred, gold: True)


def test_script_without_main_guard_does_not_rerun_in_workers(tmp_path: Path) -> None:
    # EvalScope's documented usage is a top-level run_task(...) call; spawn-style workers would
    # re-execute such a script. Ours are fresh interpreters that never import the caller's __main__.
    script = textwrap.dedent(
        """
        import asyncio
        import operator
        from assay.scoring.math_equiv import MathVerifier
        print("script ran", flush=True)
        verifier = MathVerifier(workers=1, compare=operator.eq)
        print(asyncio.run(verifier.equal("x", "x")), flush=True)
        verifier.close()
        """
    )
    path = tmp_path / "eval_script.py"
    path.write_text(script)
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["script", "ran", "True"]
