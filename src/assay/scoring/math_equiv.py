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
  be cancelled from outside the process running it. :class:`MathVerifier` runs the slow path on a
  :class:`~assay.scoring.pool.TimeLimitedPool` (usually the run's, owned by the
  :class:`~assay.scoring.context.ScoringContext`), answering ``None`` for an overrun (the caller
  excludes the sample with reason "math-verify timed out" instead of scoring it wrong).

Example:
    >>> math_equal("\\\\frac{1}{2}", "0.5")
    True
    >>> fast_math_equal("1,000", "1000")
    True
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assay.scoring.pool import TimedOut, TimeLimitedPool, WorkerDiedError, function_ref

__all__ = [
    "MathReferenceError",
    "MathVerifier",
    "MathVerifyError",
    "fast_math_equal",
    "math_equal",
    "sympy_math_equal",
    "warm_up_math_verify",
]

#: A slow-path equivalence check run in worker processes: ``compare(prediction, gold) -> bool``.
Comparator = Callable[[str, str], bool]


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


def warm_up_math_verify() -> None:
    """Import SymPy and Math-Verify (a pool worker runs this before its first item)."""
    sympy_math_equal("\\frac{1}{2}", "0.5")


# ---------------------------------------------------------------------------------------------
# The verifier: fast path inline, slow path on a time-limited pool
# ---------------------------------------------------------------------------------------------


class MathVerifier:
    """Judges math answers off the event loop, with a time limit per item.

    Plain numbers are judged inline (:func:`fast_math_equal`); everything else goes to ``pool``.
    Safe to share across threads and event loops.

    Args:
        timeout_s: Most seconds one item may compute; an overrun answers ``None``.
        pool: The worker pool to run the slow path on (the run's, from its ScoringContext); None
            starts a private one with ``workers`` processes, closed by :meth:`close`.
        workers: Worker processes of a private pool; default ``min(2, cores)``.
        kill_grace_s: Extra seconds a private pool waits for a worker's own timer before killing it.
        compare: The slow check, a module-level function so workers can import it; tests
            substitute one that hangs.

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
        pool: TimeLimitedPool | None = None,
        workers: int | None = None,
        kill_grace_s: float = 1.0,
        compare: Comparator = sympy_math_equal,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, got {timeout_s}")
        function_ref(compare)  # fail here, not in a worker, if workers could not import it
        self.timeout_s = timeout_s
        self.compare = compare
        self._own_pool = pool is None
        self.pool = pool or TimeLimitedPool(
            workers=workers,
            warm_up=warm_up_math_verify if compare is sympy_math_equal else None,
            kill_grace_s=kill_grace_s,
            name="math-verify",
        )
        self.counts = {"fast_path": 0, "pool": 0, "timeouts": 0}

    @property
    def closed(self) -> bool:
        """True once the pool is closed; a closed verifier refuses new items."""
        return self.pool.closed

    def submit(self, pred: str, gold: str) -> Future[bool | None]:
        """Queue one pair for a worker (no fast path); the future holds what :meth:`equal` returns."""
        inner = self.pool.submit(self.compare, pred, gold, timeout_s=self.timeout_s)
        self.counts["pool"] += 1
        outer: Future[bool | None] = Future()

        def settle(done: Future[Any]) -> None:
            if done.cancelled():
                outer.cancel()
                return
            error = done.exception()
            if error is None:
                result = done.result()
                if isinstance(result, TimedOut):
                    self.counts["timeouts"] += 1
                    outer.set_result(None)
                else:
                    outer.set_result(bool(result))
            elif isinstance(error, MathVerifyError):
                outer.set_exception(error)
            elif isinstance(error, WorkerDiedError):
                outer.set_exception(MathVerifyError("math-verify worker process died"))
            else:
                outer.set_exception(MathVerifyError(f"math-verify failed: {type(error).__name__}: {error}"))

        inner.add_done_callback(settle)
        return outer

    async def equal(self, pred: str, gold: str) -> bool | None:
        """Whether ``pred`` is equivalent to ``gold``; ``None`` when the check ran out of time.

        Raises:
            MathReferenceError: ``gold`` does not parse (exclude the sample).
            MathVerifyError: Math-Verify failed on this pair or its worker died (exclude the sample).
        """
        fast = fast_math_equal(pred, gold)
        if fast is not None:
            self.counts["fast_path"] += 1
            return fast
        return await asyncio.wrap_future(self.submit(pred, gold))

    def close(self) -> None:
        """Stop a private pool (a shared one belongs to its owner)."""
        if self._own_pool:
            self.pool.close()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the event loop."""
        if self._own_pool:
            await self.pool.aclose()
