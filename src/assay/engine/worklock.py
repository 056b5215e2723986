"""One run at a time per output folder: ``<work_dir>/.assay.lock``.

Why: two runs writing one folder (two ``assay eval`` with the same ``--work-dir``, or a
``--use-cache`` of a run that is still writing) would interleave journal lines and overwrite each
other's reports, and the resume that follows would trust both. So a run holds an exclusive lock on
the folder for its whole length, and a second run is refused at once with one line naming the
holder (pid, host, start time).

The lock is an advisory ``fcntl.flock`` on the file. The kernel drops it when the holding process
ends in any way, SIGKILL included, so a lock file left by a dead run is never in the way: the next
run takes it over and logs whose it was. The file itself stays (emptied at a clean end); its
content is only for the message. On a platform without ``fcntl`` (Windows) no lock is taken, and
network file systems that ignore ``flock`` give no protection either: both are documented in
docs/reliability.md.

Example:
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with hold_work_dir(folder):
    ...     try:
    ...         with hold_work_dir(folder):
    ...             pass
    ...     except UserError as error:
    ...         print(str(error).split(" (")[0])
    ... # doctest: +ELLIPSIS
    /... is in use by another assay run
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from assay.errors import UserError

__all__ = ["LOCK_NAME", "hold_work_dir"]

logger = logging.getLogger("assay")

LOCK_NAME = ".assay.lock"


def _holder(fd: int) -> str:
    """The lock file's record as words (``pid 12 on host, started ...``), or "" when empty or unreadable."""
    try:
        raw = os.pread(fd, 4096, 0)
        record = json.loads(raw) if raw.strip() else None
    except (OSError, ValueError):
        return ""
    if not isinstance(record, dict):
        return ""
    return f"pid {record.get('pid')} on {record.get('host')}, started {record.get('started')}"


@contextlib.contextmanager
def hold_work_dir(work_dir: Path) -> Iterator[None]:
    """Hold ``work_dir``'s lock while the block runs.

    Raises:
        UserError: another live process holds the folder.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no flock; documented as unprotected
        yield
        return
    fd = os.open(work_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd) or "its record is not written yet"
        os.close(fd)
        raise UserError(
            f"{work_dir} is in use by another assay run ({holder}); wait for it to end, or pass another --work-dir"
        ) from None
    try:
        stale = _holder(fd)
        if stale:
            logger.info("took over the lock of %s: that run ended without releasing it", stale)
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
