"""User-facing errors.

A :class:`UserError` is a mistake the user can fix (bad flag, missing file, unreachable server).
The CLI prints its message as one line and exits with code 2, without a traceback, so the message
must name the problem and the fix.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable


class UserError(Exception):
    """A problem the user can fix; its message is shown alone, on one line."""

    exit_code = 2


#: ``errno`` values of a write the file system refused that freeing space or fixing the folder cures
#: (disk full, quota, read-only, file too large, permissions, I/O): the user's to fix, not a bug.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EACCES, errno.EPERM, errno.EIO})


def storage_problem(exc: OSError) -> str | None:
    """One line for an OSError of :data:`STORAGE_ERRNOS` (None for any other, which is a bug to show).

    Example:
        >>> storage_problem(OSError(errno.EROFS, "Read-only file system", "/mnt/out/run"))[:50]
        'cannot write /mnt/out/run: Read-only file system; '
    """
    if exc.errno not in STORAGE_ERRNOS:
        return None
    where = exc.filename if exc.filename is not None else "the output folder"
    return (
        f"cannot write {where}: {exc.strerror or exc}; free space or choose a writable folder, then run again "
        "(an eval resumes with --use-cache)"
    )


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate, or ``""`` if none is close.

    Example:
        >>> did_you_mean("gsm8", ["gsm8k", "mmlu"])
        " (did you mean 'gsm8k'?)"
    """
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
