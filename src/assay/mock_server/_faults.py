"""Seeded fault injection for the mock server: which requests fail, and how.

Retry, timeout and resume logic can only be tested against a server that misbehaves on purpose and
reproducibly. One uniform draw per request from ``random.Random(seed)`` picks at most one fault, so
the same seed and request order always fail the same requests.
"""

from __future__ import annotations

import random
from enum import Enum


class Fault(str, Enum):
    """A way a request can fail; the value is also the ``by_outcome`` key in the server's stats."""

    RATE_LIMIT = "429"
    """HTTP 429 with a ``Retry-After`` header and an OpenAI-style error body."""
    SERVER_ERROR = "500"
    """HTTP 500 with an OpenAI-style error body."""
    HANG = "hang"
    """Accept the request, send nothing (not even headers) for ``hang_s``, then close."""
    TRUNCATE = "truncate"
    """Send about half the response, then drop the connection."""
    MALFORMED = "malformed"
    """HTTP 200 whose body (or one SSE ``data:`` line) is not valid JSON."""
    ECHO_HEADERS = "400-echo"
    """HTTP 400 whose error message quotes every request header, key included, as careless servers
    do; a rule's ``fault`` only (never drawn at random), for tests that a client hides its keys."""


FAULT_ORDER: tuple[Fault, ...] = (
    Fault.RATE_LIMIT,
    Fault.SERVER_ERROR,
    Fault.HANG,
    Fault.TRUNCATE,
    Fault.MALFORMED,
)
"""Order in which the probability bands are laid out on [0, 1)."""


class FaultInjector:
    """Decide, per request, whether to inject a fault.

    The probabilities are laid end to end on [0, 1) in :data:`FAULT_ORDER`; a single
    ``random()`` draw falls in at most one band. With ``p_429=0.1, p_500=0.2`` a draw below 0.1
    gives a 429, one in [0.1, 0.3) a 500, anything else no fault. This keeps each fault's rate
    exactly its probability (independent draws would let an earlier fault shadow a later one).

    Example:
        >>> inj = FaultInjector({Fault.RATE_LIMIT: 1.0}, seed=0)
        >>> inj.draw()
        <Fault.RATE_LIMIT: '429'>
    """

    __slots__ = ("_bands", "_rng", "_seed")

    def __init__(self, probabilities: dict[Fault, float], seed: int | None) -> None:
        """Build the bands.

        Raises:
            ValueError: a probability is outside [0, 1] or they sum to more than 1.
        """
        bands: list[tuple[float, Fault]] = []
        upper = 0.0
        for fault in FAULT_ORDER:
            p = probabilities.get(fault, 0.0)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"probability of {fault.value} must be in [0, 1], got {p}")
            if p > 0.0:
                upper += p
                bands.append((upper, fault))
        if upper > 1.0 + 1e-9:
            raise ValueError(f"fault probabilities sum to {upper:g}, more than 1")
        self._bands = tuple(bands)
        self._seed = seed
        self._rng = random.Random(seed)

    @property
    def enabled(self) -> bool:
        """Whether any fault has a non-zero probability (lets the server skip the draw)."""
        return bool(self._bands)

    def draw(self) -> Fault | None:
        """Draw the fault for the next request, or ``None`` for a normal answer."""
        if not self._bands:
            return None
        u = self._rng.random()
        for upper, fault in self._bands:
            if u < upper:
                return fault
        return None

    def reseed(self) -> None:
        """Restart the random sequence, so a reset server fails the same requests again."""
        self._rng = random.Random(self._seed)
