"""What one sandboxed execution reports: an outcome class, the output tails and the wall time.

Every way a program can end has its own class, so a report can say *why* code failed (a wrong
answer, an exception, a timeout, the memory limit) instead of folding everything into "0".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any


class Outcome(str, Enum):
    """How one execution ended."""

    PASSED = "passed"
    """Exit status 0: every test ran and held."""
    FAILED = "failed"
    """An ``AssertionError``: a test ran and did not hold (a wrong answer)."""
    ERROR = "error"
    """Another exception; ``ExecResult.exception`` names its type."""
    SYNTAX_ERROR = "syntax_error"
    """The program does not compile (``SyntaxError`` / ``IndentationError``)."""
    TIMEOUT = "timeout"
    """Wall-clock or CPU-time limit reached; the whole process group was killed."""
    MEMORY = "memory_limit"
    """The address-space limit was hit (``MemoryError``, or killed while allocating)."""
    KILLED = "killed"
    """Ended by a signal not sent by the timeout (e.g. the file-size limit's SIGXFSZ)."""


@dataclass(frozen=True)
class ExecResult:
    """The verdict on one execution."""

    outcome: Outcome
    exit_code: int | None
    """Exit status; negative for a signal (as ``subprocess``); None when killed by the timeout."""
    wall_s: float
    exception: str | None = None
    """Type name of the uncaught exception (``ZeroDivisionError``), where there was one."""
    stdout: str = ""
    """The last :data:`TAIL_CHARS` characters of stdout."""
    stderr: str = ""
    """The last :data:`TAIL_CHARS` characters of stderr."""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASSED

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outcome"] = self.outcome.value
        return data


#: How much of stdout / stderr a result keeps (the tail: where the traceback is).
TAIL_CHARS = 2000
