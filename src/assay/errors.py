"""User-facing errors.

A :class:`UserError` is a mistake the user can fix (bad flag, missing file, unreachable server).
The CLI prints its message as one line and exits with code 2, without a traceback, so the message
must name the problem and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UserError(Exception):
    """A problem the user can fix; its message is shown alone, on one line."""

    exit_code = 2


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""`` if none is close.

    Example:
        >>> did_you_mean("gsm8", ["gsm8k", "mmlu"])
        " (did you mean 'gsm8k'?)"
    """
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
